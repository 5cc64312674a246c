"""Server-sent events framing, shared by both codecs (delivery lives in delivery.py)."""

from __future__ import annotations

SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
}


def data_event(payload: str) -> bytes:
    """An OpenAI-style event: a ``data:`` line only."""
    return b"data: " + payload.encode() + b"\n\n"


def named_event(name: str, payload: str) -> bytes:
    """An Anthropic-style event: SDKs drop events that lack the ``event:`` line."""
    return b"event: " + name.encode() + b"\ndata: " + payload.encode() + b"\n\n"
