"""The codec-independent middle of every chat endpoint: ask the engine, honour delays."""

from __future__ import annotations

import asyncio
from typing import Any

from mockgw.core import ChatRequest, Completion
from mockgw.endpoint import Exchange
from mockgw.plan import Plan
from mockgw.scenarios.engine import Engine
from mockgw.scenarios.replies import header_value
from mockgw.selection import chosen_scenario, chosen_session


async def plan_answer(
    exchange: Exchange, engine: Engine, chat: ChatRequest, body: dict[str, Any]
) -> tuple[Plan, Completion]:
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
    if plan.rule is not None:
        # Tells a puzzled user which rule produced this answer.
        # Rule names are free text from YAML: keep them legal as a header value.
        label = f"{plan.scenario}/{plan.rule}"
        exchange.extra_headers["x-mockgw-rule"] = header_value(
            "x-mockgw-rule", label, exchange.warnings
        )
    exchange.extra_headers.update(plan.headers)
    if plan.timing.delay > 0:
        await asyncio.sleep(plan.timing.delay)
    if plan.error is not None:
        raise plan.error
    assert plan.completion is not None  # a plan is a completion or an error
    return plan, plan.completion
