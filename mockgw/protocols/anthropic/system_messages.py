"""Where a mid-conversation ``role: "system"`` message may stand, and what it may carry.

The 2026 API takes system messages inside ``messages`` (per-turn instructions, the
tool runner's tool additions and removals), but the conversation's own system prompt
belongs in the top-level ``system``: a system message cannot open the conversation, it
follows a turn. The API's wording for that refusal is not known; these are guessed
(docs/deviations.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from .schema import Message
from .validation_errors import invalid_request, join_path

MSG_LEADING_SYSTEM = (
    'a conversation cannot start with a "system" message: put the system prompt in the '
    'top-level "system" parameter; system messages may only follow a turn'
)
MSG_TOOL_CHANGE_OUTSIDE_SYSTEM = 'tool changes are only allowed in "system" messages'


def check_system_placement(messages: Sequence[Message]) -> None:
    if messages and messages[0].role == "system":
        raise invalid_request(join_path(["messages", 0, "role"], MSG_LEADING_SYSTEM))
    for index, message in enumerate(messages):
        if message.role != "system" and (message.clear_at or message.output_config):
            field = "clear_at" if message.clear_at else "output_config"
            raise invalid_request(
                join_path(["messages", index, field], 'only permitted on "system" messages')
            )
