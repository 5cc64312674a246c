"""Where a mid-conversation ``role: "system"`` message may stand, and what it may carry.

The 2026 API takes system messages inside ``messages`` (per-turn instructions, the
tool runner's tool additions and removals), but the conversation's own system prompt
belongs in the top-level ``system``: a system message cannot open the conversation (the
first message must be the user's), and it stands between a user turn and the assistant
reply it instructs: followed by an assistant message, or last. Both wordings are the real
API's, as clients have reported them (``messages: first message must use the "user"
role``; ``messages.67: role 'system' must precede an 'assistant' message or end the
array``).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from .schema import Message
from .validation_errors import invalid_request, join_path

MSG_FIRST_NOT_USER = 'first message must use the "user" role'
MSG_SYSTEM_PLACEMENT = "role 'system' must precede an 'assistant' message or end the array"
MSG_TOOL_CHANGE_OUTSIDE_SYSTEM = 'tool changes are only allowed in "system" messages'


def check_system_placement(messages: Sequence[Message]) -> None:
    if messages and messages[0].role == "system":
        raise invalid_request(join_path(["messages"], MSG_FIRST_NOT_USER))
    for index, (message, following) in enumerate(pairwise(messages)):
        if message.role == "system" and following.role != "assistant":
            raise invalid_request(join_path(["messages", index], MSG_SYSTEM_PLACEMENT))
    for index, message in enumerate(messages):
        if message.role != "system" and (message.clear_at or message.output_config):
            field = "clear_at" if message.clear_at else "output_config"
            raise invalid_request(
                join_path(["messages", index, field], 'only permitted on "system" messages')
            )
