"""Server-sent events framing and delivery, shared by both codecs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping

from aiohttp import web

from mockgw.plan import Timing

UNPACED = Timing()

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
    request: web.Request,
    events: Iterable[bytes],
    *,
    headers: Mapping[str, str],
    timing: Timing = UNPACED,
) -> web.StreamResponse:
    """Stream ``events`` as one response, paced by ``timing``.

    With no pacing to honour, the events go out in a single write: the client still
    parses them one by one, and one syscall instead of hundreds is what lets a stream
    keep up with a bare aiohttp handler. The status line and headers always go first,
    as on the real APIs, so time-to-first-token is measured after the 200.
    """
    response = web.StreamResponse(status=200, headers={**SSE_HEADERS, **headers})
    await response.prepare(request)
    if not timing.paced:
        await response.write(b"".join(events))
    else:
        for index, event in enumerate(events):
            pause = timing.ttft if index == 0 else timing.every
            if pause > 0:
                await asyncio.sleep(pause)
            await response.write(event)
    await response.write_eof()
    return response
