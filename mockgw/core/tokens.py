"""A deterministic, offline token estimator.

Real tokenizers need vocabulary files that would have to be downloaded; mockgw must
work with no network, so it approximates BPE with a regular expression: a word of up
to eight letters (with its leading space) is one token, longer words are split every
eight letters, digits go in groups of three, and every other symbol is its own token.
That lands within the usual 0.75-words-per-token rule of thumb for English prose.

The same pieces are used to stream text and to cut it at ``max_tokens``, so the
counts in ``usage`` always match what a client receives.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from mockgw.core.chat import ChatRequest, Message, ToolCall

_PIECE = re.compile(r" ?[A-Za-z]{1,8}| ?\d{1,3}| ?[^\sA-Za-z\d]|\s+")

# Per-message and per-request overheads, chosen to resemble what both providers bill
# for chat framing. They are identical for both APIs on purpose: the same conversation
# must cost the same tokens whichever endpoint it arrives on.
MESSAGE_OVERHEAD = 4
REQUEST_OVERHEAD = 3
MEDIA_PART_TOKENS = 85


def split_tokens(text: str) -> list[str]:
    """Split ``text`` into token-like pieces whose concatenation is ``text``."""
    return _PIECE.findall(text)


def count_tokens(text: str) -> int:
    return len(_PIECE.findall(text)) if text else 0


def _call_tokens(calls: Iterable[ToolCall]) -> int:
    return sum(count_tokens(c.name) + count_tokens(canonical_json(c.arguments)) for c in calls)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def message_tokens(message: Message) -> int:
    return (
        MESSAGE_OVERHEAD
        + count_tokens(message.text)
        + _call_tokens(message.tool_calls)
        + sum(count_tokens(r.content) for r in message.tool_results)
        + MEDIA_PART_TOKENS * message.media_parts
    )


def request_tokens(request: ChatRequest) -> int:
    """Input tokens of a request: system prompt, messages and tool definitions."""
    total = REQUEST_OVERHEAD + sum(message_tokens(m) for m in request.messages)
    if request.system:
        total += MESSAGE_OVERHEAD + count_tokens(request.system)
    for tool in request.tools:
        total += count_tokens(tool.name) + count_tokens(tool.description)
        total += count_tokens(canonical_json(tool.parameters))
    return total


def completion_tokens(text: str, tool_calls: Iterable[ToolCall] = ()) -> int:
    return count_tokens(text) + _call_tokens(tool_calls)
