"""Sending a planned answer: pacing, connection faults and stream faults.

Faults act on the transport directly, below HTTP: a reset is a TCP RST (SO_LINGER 0),
a close is a FIN with no response, a stall keeps the socket open and silent. Waits
that would otherwise be unbounded (hang, stall) end at the server's maximum, so a
scripted failure can never leak a connection for longer than that.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import time
from collections.abc import Callable, Mapping, Sequence

from aiohttp import web

from mockgw.core.plan import ConnectionFault, StreamFault, Timing
from mockgw.errors import ApiError
from mockgw.protocols.sse import SSE_HEADERS

GARBAGE = b"\x00\x17\xfe\xffHTTP/0.0 \xc3\x28 not-a-response\r\n\r\n\x8b\x00garbage"


def _abort(request: web.Request, *, reset: bool) -> None:
    transport = request.transport
    if transport is None:
        return
    if reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def connection_fault(
    request: web.Request, fault: ConnectionFault, *, max_wait: float
) -> web.StreamResponse:
    """Fail the connection before any normal response is sent."""
    if fault == "close_after_headers":
        response = web.StreamResponse(status=200, headers=SSE_HEADERS)
        await response.prepare(request)
        _abort(request, reset=False)
        return response
    if fault == "hang":
        await asyncio.sleep(max_wait)
    elif fault == "garbage" and request.transport is not None:
        request.transport.write(GARBAGE)
    _abort(request, reset=fault == "reset")
    # Nothing can be written any more; aiohttp discards this response quietly.
    return web.Response(status=200)


async def stall(
    request: web.Request, headers: Mapping[str, str], *, max_wait: float
) -> web.StreamResponse:
    """Send the status and headers, then nothing, until the server's maximum wait."""
    response = web.StreamResponse(
        status=200, headers={"Content-Type": "application/json", **headers}
    )
    await response.prepare(request)
    await asyncio.sleep(max_wait)
    _abort(request, reset=False)
    return response


async def truncated_body(
    request: web.Request, payload: bytes, headers: Mapping[str, str], *, disconnect: bool
) -> web.StreamResponse:
    """Half a JSON body: cut off by a dropped connection, or complete but unparseable."""
    half = payload[: max(len(payload) // 2, 1)]
    length = len(payload) if disconnect else len(half)
    response = web.StreamResponse(
        status=200, headers={"Content-Type": "application/json", **headers}
    )
    response.content_length = length
    await response.prepare(request)
    await response.write(half)
    if disconnect:
        _abort(request, reset=False)
    else:
        await response.write_eof()
    return response


def _gaps(timing: Timing, count: int) -> list[float]:
    rng = random.Random(timing.seed)
    gaps = [timing.ttft]
    for _ in range(count - 1):
        spread = timing.every * timing.jitter
        gaps.append(max(0.0, timing.every + rng.uniform(-spread, spread)))
    return gaps


async def send_stream(
    request: web.Request,
    events: Sequence[bytes],
    *,
    headers: Mapping[str, str],
    timing: Timing,
    fault: StreamFault | None,
    error_event: Callable[[ApiError], bytes],
    max_wait: float,
    sent: Callable[[int], None] = lambda count: None,
) -> web.StreamResponse:
    """Stream ``events`` paced by ``timing``, breaking as ``fault`` says; ``sent`` is
    told how many of ``events`` went out whole (the journal records it).

    Without pacing or fault, the events go out in a single write: the client still
    parses them one by one, and one write instead of hundreds is what lets a stream keep
    up with a bare aiohttp handler. Headers always go first, as on the real APIs, so
    time-to-first-token is measured after the 200.
    """
    response = web.StreamResponse(status=200, headers={**SSE_HEADERS, **headers})
    await response.prepare(request)
    if fault is None and not timing.paced:
        await response.write(b"".join(events))
        await response.write_eof()
        sent(len(events))
        return response

    # The fault strikes before event ``cut`` (never after the terminator: a stream that
    # completed is not a failure). A time-based fault holds the terminator back until then.
    body, terminator = list(events[:-1]), events[-1]
    cut = len(body)
    if fault is not None and fault.after_events is not None:
        cut = min(fault.after_events, len(body))
    gaps = [min(gap, max_wait) for gap in _gaps(timing, len(events))]
    # ``after`` counts from the first event (as documented), not from the headers: with a
    # ttft longer than ``after`` the stream would otherwise break right after its first event.
    deadline = None
    for index in range(cut):
        if deadline is not None and time.monotonic() >= deadline:
            break
        if gaps[index] > 0:
            await asyncio.sleep(gaps[index])
        await response.write(body[index])
        sent(index + 1)
        if index == 0 and fault is not None and fault.after_seconds is not None:
            deadline = time.monotonic() + fault.after_seconds
    else:
        index = cut
    if fault is None:
        if gaps[-1] > 0 and timing.every > 0:
            await asyncio.sleep(gaps[-1])
        await response.write(terminator)
        await response.write_eof()
        sent(len(events))
        return response
    if deadline is not None and fault.after_events is None:
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))
    return await _break(request, response, fault, body[index:], error_event, max_wait)


def _truncated(event: bytes) -> bytes:
    """The event cut halfway through its JSON, then terminated, so a client parses it."""
    start = event.find(b"data: ") + len(b"data: ")
    payload = event[start:].rstrip(b"\n")
    return event[:start] + payload[: max(len(payload) // 2, 1)] + b"\n\n"


async def _break(
    request: web.Request,
    response: web.StreamResponse,
    fault: StreamFault,
    rest: Sequence[bytes],
    error_event: Callable[[ApiError], bytes],
    max_wait: float,
) -> web.StreamResponse:
    if fault.kind == "error":
        assert fault.error is not None  # the model requires an error for this kind
        await response.write(error_event(fault.error))
        await response.write_eof()
    elif fault.kind == "no_terminator":
        # A clean end of the body after the events sent so far, without the terminator
        # ([DONE] / message_stop): ``after_events`` past the last event drops only the
        # terminator, fewer ends the reply early, as a proxy closing the stream would.
        await response.write_eof()
    elif fault.kind == "truncate":
        await response.write(_truncated(rest[0] if rest else b'data: {"truncated": true}\n\n'))
        await response.write_eof()
    elif fault.kind == "stall":
        await asyncio.sleep(max_wait)
        _abort(request, reset=False)
    else:  # disconnect
        _abort(request, reset=False)
    return response
