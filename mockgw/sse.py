"""Server-sent events framing and delivery, shared by both codecs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aiohttp import web

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


async def send_events(
    request: web.Request, events: Iterable[bytes], *, headers: Mapping[str, str]
) -> web.StreamResponse:
    """Stream ``events`` as one response.

    With no pacing to honour, the events go out in a single write: the client still
    parses them one by one, and one syscall instead of hundreds is what lets a stream
    keep up with a bare aiohttp handler.
    """
    response = web.StreamResponse(status=200, headers={**SSE_HEADERS, **headers})
    await response.prepare(request)
    await response.write(b"".join(events))
    await response.write_eof()
    return response
