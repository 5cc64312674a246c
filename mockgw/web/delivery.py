"""Executing a plan: every wait, the answer or error, connection and stream faults.

:func:`deliver` is the only place a plan turns into bytes on the socket; what the
bytes say comes from a :class:`Rendering` the pipeline builds from the codec. Faults
act on the transport directly, below HTTP: a reset is a TCP RST (SO_LINGER 0), a close
is a FIN with no response, a stall keeps the socket open and silent. Waits that would
otherwise be unbounded (hang, stall) end at the server's maximum wait.

The maximum wait (``--max-wait``) is one deadline for the whole response, counted from
the request's arrival, not a cap on each wait: delays, time to first token, the gaps
between events and ``fail: {after}`` all count against it. A wait that would end past
it is cut short there (:class:`_Cut`), and the response with it: the connection is
closed, with or without the part already sent, and the journal says ``mockgw_max_wait``.
Hangs and stalls are scripted to last until the deadline; ending there is their end.
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
from mockgw.errors import ApiError, MockgwError
from mockgw.protocols.sse import SSE_HEADERS
from mockgw.web.frame import Exchange

JSON_TYPE = {"Content-Type": "application/json"}
# The journal's code for a response the maximum wait cut (docs/journal.md).
MAX_WAIT_CODE = "mockgw_max_wait"
# The journal's status for a response cut before its headers: none was sent (nginx's 444).
NO_RESPONSE = 444


class _Cut(MockgwError):
    """The maximum wait ran out during a scripted wait: the response ends there."""


class _Deadline:
    """When the exchange's maximum wait runs out, on the perf_counter clock."""

    __slots__ = ("at", "max_wait")

    def __init__(self, exchange: Exchange, max_wait: float) -> None:
        self.max_wait = max_wait
        self.at = exchange.started + max_wait

    def left(self) -> float:
        return max(0.0, self.at - time.perf_counter())

    async def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, or raise :class:`_Cut` at the deadline if that is sooner."""
        left = self.left()
        if seconds >= left:
            await asyncio.sleep(left)
            raise _Cut
        await asyncio.sleep(seconds)

    async def hold(self) -> None:
        """Sleep until the deadline: a hang's or a stall's whole length."""
        await asyncio.sleep(self.left())


GARBAGE = b"\x00\x17\xfe\xffHTTP/0.0 \xc3\x28 not-a-response\r\n\r\n\x8b\x00garbage"


class Rendering(Protocol):
    """What the bytes of one answer say: the codec's encoding for this request."""

    @property
    def stream(self) -> bool: ...

    def body(self, answer: Answer) -> dict[str, Any]: ...

    def events(self, answer: Answer) -> list[bytes]: ...

    def error(self, failure: Failure) -> ApiError: ...

    def error_event(self, error: ApiError, *, sent: int) -> bytes:
        """``sent``: how many of the stream's events went out before the error."""


async def deliver(
    exchange: Exchange, plan: Plan, rendering: Rendering, *, max_wait: float
) -> web.StreamResponse:
    """Carry out ``plan``: wait its delay, then answer, fail or break as it says.

    The whole response, every scripted wait included, ends by the server's maximum
    wait after the request arrived; one still going then is cut.
    """
    deadline = _Deadline(exchange, max_wait)
    try:
        return await _deliver(exchange, plan, rendering, deadline)
    except _Cut:
        return _cut(exchange, deadline)


def _cut(exchange: Exchange, deadline: _Deadline) -> web.StreamResponse:
    """End a response the maximum wait ran out on: close the connection, as a proxy's
    timeout would, after whatever part of it went out."""
    response = exchange.response
    exchange.error_message = (
        f"the response was cut at the server's maximum wait (--max-wait {deadline.max_wait:g} s)"
    )
    exchange.error_code = MAX_WAIT_CODE
    exchange.settle(response.status if response is not None else NO_RESPONSE)
    _abort(exchange.request, reset=False)
    # Nothing can be written any more; aiohttp discards this response quietly.
    return response if response is not None else web.Response(status=NO_RESPONSE)


async def _deliver(
    exchange: Exchange, plan: Plan, rendering: Rendering, deadline: _Deadline
) -> web.StreamResponse:
    if plan.timing.delay > 0:
        await deadline.wait(plan.timing.delay)
    outcome = plan.outcome
    if isinstance(outcome, ConnectionFault):
        return await connection_fault(
            exchange, outcome.kind, stream=rendering.stream, deadline=deadline
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
            deadline=deadline,
        )
    # A stream fault on a plain request breaks what a plain request has: its body.
    if fault is None or fault.kind == "no_terminator":
        return exchange.json(rendering.body(outcome))
    if fault.kind == "error":
        assert fault.error is not None  # set for every error fault
        return exchange.error(rendering.error(fault.error))
    if fault.kind == "stall":
        return await stall(exchange, deadline=deadline)
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
    exchange: Exchange, fault: ConnectionFaultKind, *, stream: bool, deadline: _Deadline
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
        await deadline.hold()
    exchange.settle(200)
    if fault == "garbage" and request.transport is not None:
        request.transport.write(GARBAGE)
    _abort(request, reset=fault == "reset")
    # Nothing can be written any more; aiohttp discards this response quietly.
    return web.Response(status=200)


async def stall(exchange: Exchange, *, deadline: _Deadline) -> web.StreamResponse:
    """Send the status and headers, then nothing, until the server's maximum wait."""
    response = web.StreamResponse(status=200, headers={**JSON_TYPE, **exchange.headers()})
    await exchange.start(response)
    await deadline.hold()
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
    deadline: _Deadline,
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
        return await _stream_body(exchange, response, events, timing, fault, rendering, deadline)
    finally:
        active.dec()


async def _stream_body(
    exchange: Exchange,
    response: web.StreamResponse,
    events: Sequence[bytes],
    timing: Timing,
    fault: StreamFault | None,
    rendering: Rendering,
    deadline: _Deadline,
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
    gaps = _gaps(timing, len(events))
    # ``after`` counts from the first event (as documented), not from the headers: with a
    # ttft longer than ``after`` the stream would otherwise break right after its first event.
    fail_at = None
    for index in range(cut):
        if fail_at is not None and time.monotonic() >= fail_at:
            break
        if gaps[index] > 0:
            await deadline.wait(gaps[index])
        await response.write(body[index])
        exchange.events_sent = index + 1
        if index == 0 and fault is not None and fault.after_seconds is not None:
            fail_at = time.monotonic() + fault.after_seconds
    else:
        index = cut
    if fault is None:
        if gaps[-1] > 0 and timing.every > 0:
            await deadline.wait(gaps[-1])
        await _finish(exchange, response, terminator, events=len(events))
        return response
    if fail_at is not None and fault.after_events is None:
        await deadline.wait(max(0.0, fail_at - time.monotonic()))
    return await _break(exchange, response, fault, body[index:], rendering, deadline)


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
    deadline: _Deadline,
) -> web.StreamResponse:
    request = exchange.request
    if fault.kind != "stall":
        exchange.settle(200)  # before the last bytes: a client that read them sees it
    if fault.kind == "error":
        assert fault.error is not None  # the model requires an error for this kind
        error = rendering.error(fault.error)
        await response.write(rendering.error_event(error, sent=exchange.events_sent))
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
        await deadline.hold()
        exchange.settle(200)
        _abort(request, reset=False)
    else:  # disconnect
        _abort(request, reset=False)
    return response
