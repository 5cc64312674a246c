"""The codec-independent middle and end of every chat endpoint.

:func:`plan_answer` asks the engine and honours the delay; :func:`deliver` sends the
answer the codec has encoded, breaking the connection or the stream where the plan
says so. Codecs supply only what is theirs: the JSON body, the SSE events and the
shape of an error event.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from mockgw.core.chat import ChatRequest, Completion
from mockgw.core.plan import Plan
from mockgw.errors import ApiError
from mockgw.scenarios.engine import Engine
from mockgw.web.delivery import connection_fault, send_stream, stall, truncated_body
from mockgw.web.frame import Exchange
from mockgw.web.selection import chosen_scenario, chosen_session


async def plan_answer(
    exchange: Exchange,
    engine: Engine,
    chat: ChatRequest,
    body: dict[str, Any],
    *,
    max_wait: float,
) -> Plan:
    """The plan for ``chat``; a scripted error is raised, after its delay, as ApiError."""
    request = exchange.request
    plan = engine.plan(
        chat,
        body,
        request.headers,
        scenario=chosen_scenario(request),
        session=chosen_session(request),
    )
    exchange.warnings.extend(plan.warnings)
    exchange.plan = plan
    if plan.rule is not None:
        # Tells a puzzled user which rule produced this answer.
        exchange.extra_headers["x-mockgw-rule"] = f"{plan.scenario}/{plan.rule}"
    exchange.extra_headers.update(plan.headers)
    if plan.timing.delay > 0:
        # Like hangs and stalls, no scripted wait outlasts the server's maximum.
        await asyncio.sleep(min(plan.timing.delay, max_wait))
    if plan.error is not None:
        raise plan.error
    return plan


def present(completion: Completion | None) -> Completion:
    """The completion of a plan that is neither a fault nor an error."""
    assert completion is not None  # the engine only plans content, errors or faults
    return completion


async def deliver(
    exchange: Exchange,
    plan: Plan,
    *,
    stream: bool,
    body: Callable[[], dict[str, Any]],
    events: Callable[[], list[bytes]],
    error_event: Callable[[ApiError], bytes],
    max_wait: float,
) -> web.StreamResponse:
    """Send the planned answer, with its faults. ``body``/``events`` encode lazily."""
    request = exchange.request
    if plan.fault is not None:
        return await connection_fault(request, plan.fault, max_wait=max_wait)
    fault = plan.stream_fault
    if stream:
        return await send_stream(
            request,
            events(),
            headers=exchange.headers(),
            timing=plan.timing,
            fault=fault,
            error_event=error_event,
            max_wait=max_wait,
            sent=exchange.count_events,
        )
    # A stream fault on a plain request breaks what a plain request has: its body.
    if fault is None or fault.kind == "no_terminator":
        return exchange.json(body())
    if fault.kind == "error":
        assert fault.error is not None  # set for every error fault
        raise fault.error
    if fault.kind == "stall":
        return await stall(request, exchange.headers(), max_wait=max_wait)
    payload = json.dumps(body(), separators=(",", ":")).encode()
    return await truncated_body(
        request, payload, exchange.headers(), disconnect=fault.kind == "disconnect"
    )
