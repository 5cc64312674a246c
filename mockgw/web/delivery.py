"""Executing a plan: every wait, the answer or error, connection and stream faults.

:func:`deliver` is the only place a plan turns into bytes on the socket; what the
bytes say comes from a :class:`Rendering` the pipeline builds from the codec. Faults
act on the transport directly, below HTTP: a reset is a TCP RST (SO_LINGER 0), a close
is a FIN with no response, a stall keeps the socket open and silent. Waits that would
otherwise be unbounded (hang, stall) end at the server's maximum, so a scripted
failure can never leak a connection for longer than that.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import struct
import time
from collections.abc import Sequence
from typing import Any, Protocol

from aiohttp import web

from mockgw.core.failures import Failure
from mockgw.core.plan import (
    Answer,
    ConnectionFault,
    ConnectionFaultKind,
    ErrorAnswer,
    Plan,
    StreamFault,
    Timing,
)
from mockgw.errors import ApiError
from mockgw.protocols.sse import SSE_HEADERS
from mockgw.web.frame import Exchange

JSON_TYPE = {"Content-Type": "application/json"}

GARBAGE = b"\x00\x17\xfe\xffHTTP/0.0 \xc3\x28 not-a-response\r\n\r\n\x8b\x00garbage"


class Rendering(Protocol):
    """What the bytes of one answer say: the codec's encoding for this request."""

    @property
    def stream(self) -> bool: ...

    def body(self, answer: Answer) -> dict[str, Any]: ...

    def events(self, answer: Answer) -> list[bytes]: ...

    def error(self, failure: Failure) -> ApiError: ...

    def error_event(self, error: ApiError) -> bytes: ...


async def deliver(
    exchange: Exchange, plan: Plan, rendering: Rendering, *, max_wait: float
) -> web.StreamResponse:
    """Carry out ``plan``: wait its delay, then answer, fail or break as it says.

    Like hangs and stalls, no scripted wait outlasts the server's maximum.
    """
    if plan.timing.delay > 0:
        await asyncio.sleep(min(plan.timing.delay, max_wait))
    outcome = plan.outcome
    if isinstance(outcome, ConnectionFault):
        return await connection_fault(
            exchange, outcome.kind, stream=rendering.stream, max_wait=max_wait
        )
    if isinstance(outcome, ErrorAnswer):
        return exchange.error(rendering.error(outcome.failure))
    fault = outcome.stream_fault
    if rendering.stream:
        return await send_stream(
            exchange,
            rendering.events(outcome),
            timing=plan.timing,
            fault=fault,
            rendering=rendering,
            max_wait=max_wait,
        )
    # A stream fault on a plain request breaks what a plain request has: its body.
    if fault is None or fault.kind == "no_terminator":
        return exchange.json(rendering.body(outcome))
    if fault.kind == "error":
        assert fault.error is not None  # set for every error fault
        return exchange.error(rendering.error(fault.error))
    if fault.kind == "stall":
        return await stall(exchange, max_wait=max_wait)
    payload = json.dumps(rendering.body(outcome), separators=(",", ":")).encode()
    return await truncated_body(exchange, payload, disconnect=fault.kind == "disconnect")


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
    exchange: Exchange, fault: ConnectionFaultKind, *, stream: bool, max_wait: float
) -> web.StreamResponse:
    """Fail the connection before any normal response is sent."""
    request = exchange.request
    if fault == "close_after_headers":
        # The headers the answer would have had, request id included, then nothing.
        kind = SSE_HEADERS if stream else JSON_TYPE
        response = web.StreamResponse(status=200, headers={**kind, **exchange.headers()})
        await exchange.start(response)
        exchange.settle(200)
        _abort(request, reset=False)
        return response
    if fault == "hang":
        await asyncio.sleep(max_wait)
    exchange.settle(200)
    if fault == "garbage" and request.transport is not None:
        request.transport.write(GARBAGE)
    _abort(request, reset=fault == "reset")
    # Nothing can be written any more; aiohttp discards this response quietly.
    return web.Response(status=200)


async def stall(exchange: Exchange, *, max_wait: float) -> web.StreamResponse:
    """Send the status and headers, then nothing, until the server's maximum wait."""
    response = web.StreamResponse(status=200, headers={**JSON_TYPE, **exchange.headers()})
    await exchange.start(response)
    await asyncio.sleep(max_wait)
    exchange.settle(200)
    _abort(exchange.request, reset=False)
    return response


async def truncated_body(
    exchange: Exchange, payload: bytes, *, disconnect: bool
) -> web.StreamResponse:
    """Half a JSON body: cut off by a dropped connection, or complete but unparseable."""
    half = payload[: max(len(payload) // 2, 1)]
    length = len(payload) if disconnect else len(half)
    response = web.StreamResponse(status=200, headers={**JSON_TYPE, **exchange.headers()})
    response.content_length = length
    await exchange.start(response)
    exchange.settle(200)
    await response.write(half)
    if disconnect:
        _abort(exchange.request, reset=False)
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
    exchange: Exchange,
    events: Sequence[bytes],
    *,
    timing: Timing,
    fault: StreamFault | None,
    rendering: Rendering,
    max_wait: float,
) -> web.StreamResponse:
    """Stream ``events`` paced by ``timing``, breaking as ``fault`` says; the exchange
    counts how many of ``events`` went out whole (the journal records it).

    Without pacing or fault, the events go out in a single write: the client still
    parses them one by one, and one write instead of hundreds is what lets a stream keep
    up with a bare aiohttp handler. Headers always go first, as on the real APIs, so
    time-to-first-token is measured after the 200.
    """
    response = web.StreamResponse(status=200, headers={**SSE_HEADERS, **exchange.headers()})
    await exchange.start(response)
    # In progress from its headers to its end, however it ends: a fault, a client gone.
    active = exchange.metrics.active_streams(exchange.codec.name)
    active.inc()
    try:
        return await _stream_body(exchange, response, events, timing, fault, rendering, max_wait)
    finally:
        active.dec()


async def _stream_body(
    exchange: Exchange,
    response: web.StreamResponse,
    events: Sequence[bytes],
    timing: Timing,
    fault: StreamFault | None,
    rendering: Rendering,
    max_wait: float,
) -> web.StreamResponse:
    if fault is None and not timing.paced:
        await _finish(exchange, response, b"".join(events), events=len(events))
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
        exchange.events_sent = index + 1
        if index == 0 and fault is not None and fault.after_seconds is not None:
            deadline = time.monotonic() + fault.after_seconds
    else:
        index = cut
    if fault is None:
        if gaps[-1] > 0 and timing.every > 0:
            await asyncio.sleep(gaps[-1])
        await _finish(exchange, response, terminator, events=len(events))
        return response
    if deadline is not None and fault.after_events is None:
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))
    return await _break(exchange, response, fault, body[index:], rendering, max_wait)


async def _finish(
    exchange: Exchange, response: web.StreamResponse, last: bytes, *, events: int
) -> None:
    """Write a stream's last bytes, its journal entry completed first: a client that has
    read them finds the entry complete. Should the write fail, the count is put back."""
    before, exchange.events_sent = exchange.events_sent, events
    exchange.settle(200)
    try:
        await response.write(last)
        await response.write_eof()
    except BaseException:
        exchange.events_sent = before
        raise


def _truncated(event: bytes) -> bytes:
    """The event cut halfway through its JSON, then terminated, so a client parses it."""
    start = event.find(b"data: ") + len(b"data: ")
    payload = event[start:].rstrip(b"\n")
    return event[:start] + payload[: max(len(payload) // 2, 1)] + b"\n\n"


async def _break(
    exchange: Exchange,
    response: web.StreamResponse,
    fault: StreamFault,
    rest: Sequence[bytes],
    rendering: Rendering,
    max_wait: float,
) -> web.StreamResponse:
    request = exchange.request
    if fault.kind != "stall":
        exchange.settle(200)  # before the last bytes: a client that read them sees it
    if fault.kind == "error":
        assert fault.error is not None  # the model requires an error for this kind
        await response.write(rendering.error_event(rendering.error(fault.error)))
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
        exchange.settle(200)
        _abort(request, reset=False)
    else:  # disconnect
        _abort(request, reset=False)
    return response
