"""Prompt caching as the Messages API reports it in ``usage``.

A request whose tools, system or messages carry ``cache_control`` marks a prefix. The
first request with that prefix "writes" it (``cache_creation_input_tokens``), later
ones with the same prefix "read" it (``cache_read_input_tokens``); ``input_tokens``
counts only what follows the prefix. Prefixes shorter than the API's minimum are not
cached at all, as on the real service.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from mockgw.core.chat import Usage
from mockgw.core.tokens import MEDIA_PART_TOKENS, MESSAGE_OVERHEAD, canonical_json, count_tokens

# The smallest cacheable prefix of most current models (Haiku models need 2048).
MIN_CACHEABLE_TOKENS = 1024
MAX_ENTRIES = 100_000


@dataclass(frozen=True, slots=True)
class CachePrefix:
    key: str
    tokens: int
    ttl: str


def cache_prefix(body: dict[str, Any]) -> CachePrefix | None:
    """The prefix up to the last ``cache_control`` breakpoint, if the body has one."""
    hasher = hashlib.blake2b(digest_size=16)
    tokens = 0
    marked: CachePrefix | None = None

    def visit(segment: Any, cost: int) -> None:
        nonlocal tokens, marked
        hasher.update(canonical_json(segment).encode())
        tokens += cost
        control = segment.get("cache_control") if isinstance(segment, dict) else None
        if control:
            marked = CachePrefix(hasher.copy().hexdigest(), tokens, control.get("ttl", "5m"))

    for segment, cost in _segments(body):
        visit(segment, cost)
    if marked is None and isinstance(body.get("cache_control"), dict):
        # Top-level cache_control caches the whole request up to its last block.
        marked = CachePrefix(hasher.hexdigest(), tokens, body["cache_control"].get("ttl", "5m"))
    return marked


def _segments(body: dict[str, Any]) -> Iterator[tuple[Any, int]]:
    """The request's cacheable pieces in the API's prefix order (tools, system, messages),
    each with its token cost."""
    for tool in body.get("tools") or ():
        yield tool, _tool_cost(tool)
    system = body.get("system")
    if isinstance(system, list):
        for index, block in enumerate(system):
            joint = MESSAGE_OVERHEAD if index == 0 else 1  # the newline joining blocks
            yield block, joint + count_tokens(block.get("text", ""))
    elif system:
        yield system, MESSAGE_OVERHEAD + count_tokens(system)
    for message in body.get("messages") or ():
        content = message.get("content")
        if isinstance(content, str):
            yield message, MESSAGE_OVERHEAD + count_tokens(content)
            continue
        yield message.get("role"), MESSAGE_OVERHEAD
        for block in content or ():
            yield block, _block_cost(block)


# Segment costs mirror mockgw.core.tokens.request_tokens, so a prefix never costs more than
# the request it starts, and the same prefix is written and read for the same amount.


def _tool_cost(tool: dict[str, Any]) -> int:
    if "input_schema" not in tool:
        return 0  # server tools are not billed as definitions (see decode._tools)
    return (
        count_tokens(tool.get("name") or "")
        + count_tokens(tool.get("description") or "")
        + count_tokens(canonical_json(tool["input_schema"]))
    )


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(b.get("text", "") for b in content or () if b.get("type") == "text")


def _block_cost(block: dict[str, Any]) -> int:
    kind = block.get("type")
    if kind == "text":
        return count_tokens(block.get("text", ""))
    if kind == "tool_use":
        return count_tokens(block.get("name", "")) + count_tokens(
            canonical_json(block.get("input", {}))
        )
    if kind == "tool_result":
        return count_tokens(_text_of(block.get("content")))
    if kind in ("image", "document", "search_result", "container_upload"):
        return MEDIA_PART_TOKENS
    return 0


class PromptCache:
    """Which prefixes have been written; shared by all requests to one server."""

    def __init__(self) -> None:
        # Insertion-ordered, so the oldest prefix is forgotten first when full.
        self._seen: dict[str, None] = {}
        self._lock = threading.Lock()

    def clear(self, session: str | None = None) -> None:
        """Forget the prefixes ``session`` wrote, or all of them."""
        with self._lock:
            if session is None:
                self._seen.clear()
                return
            mark = f"{session}\x00"
            for key in [k for k in self._seen if k.startswith(mark)]:
                del self._seen[key]

    def account(
        self, prefix: CachePrefix | None, usage: Usage, *, session: str, model: str
    ) -> Usage:
        """Usage with the prefix written or read. The real cache is per model (and per
        organisation); mockgw's is per model and session, so isolated tests never see
        each other's writes."""
        if prefix is None or prefix.tokens < MIN_CACHEABLE_TOKENS:
            return usage
        cached = min(prefix.tokens, usage.input_tokens)
        key = f"{session}\x00{model}\x00{prefix.key}"
        with self._lock:
            hit = key in self._seen
            if not hit:
                if len(self._seen) >= MAX_ENTRIES:
                    self._seen.pop(next(iter(self._seen)))
                self._seen[key] = None
        remaining = usage.input_tokens - cached
        if hit:
            return replace(usage, input_tokens=remaining, cache_read_tokens=cached)
        return replace(usage, input_tokens=remaining, cache_creation_tokens=cached)
