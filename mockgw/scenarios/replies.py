"""A rule's reply -> a :class:`~mockgw.core.plan.Plan` for the request at hand."""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field, replace
from typing import Any

from mockgw.core.chat import ChatRequest, Choice, Refusal, ToolCall
from mockgw.core.completions import (
    body_text,
    completion_of,
    forced_tool,
    generated_thinking,
    shape_choice,
    tool_arguments,
    tool_call_id,
)
from mockgw.core.failures import ScriptedError
from mockgw.core.generate import instance_from_schema, request_seed
from mockgw.core.plan import Answer, ConnectionFault, ErrorAnswer, Plan, StreamFault, Timing
from mockgw.scenarios.matching import MatchContext
from mockgw.scenarios.model import Distribution, ErrorSpec, GeneratedJson, GeneratedText, Reply
from mockgw.scenarios.templates import compile_template, dig, map_strings


@dataclass(slots=True)
class RenderContext:
    """What templates can read for one firing of one rule."""

    match: MatchContext
    count: int
    state: str
    # The session's seeded generator: delays and jitter drawn here replay exactly.
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def lookup(self, path: tuple[str, ...]) -> Any:
        request = self.match.request
        root, rest = path[0], path[1:]
        simple: dict[str, Any] = {
            "last_user": request.last_user_text,
            "system": request.system,
            "model": request.model,
            "api": request.api,
            "turn": self.match.turn,
            "count": self.count,
            "state": self.state,
        }
        if root in simple:
            return simple[root] if not rest else None
        if root == "counter":
            return self.match.counters.get(rest[0], 0) if len(rest) == 1 else None
        if root == "header":
            return self.match.headers.get(rest[0]) if len(rest) == 1 else None
        if root == "metadata":
            return dig(request.metadata, rest)
        if root == "request":
            return dig(self.match.body, rest)
        if root == "tool_result":
            return self._tool_result(rest)
        return None

    def _tool_result(self, rest: tuple[str, ...]) -> Any:
        results = self.match.last_results
        if not results:
            return None
        result = results[-1]
        if not rest:
            return result.content
        fields = {"name": result.name, "content": result.content, "is_error": result.is_error}
        try:
            parsed = json.loads(result.content)
        except ValueError:
            parsed = None
        if rest[0] == "json":
            return dig(parsed, rest[1:]) if len(rest) > 1 else parsed
        # A field of the result's JSON wins over the built-in names only when it exists.
        found = dig(parsed, rest) if isinstance(parsed, dict) else None
        return found if found is not None else (fields.get(rest[0]) if len(rest) == 1 else None)

    def render(self, text: str, warnings: list[str]) -> str:
        rendered, missing = compile_template(text).render(self.lookup)
        warnings.extend(f"template value '{m}' was empty" for m in missing)
        return rendered


def draw(delay: float | Distribution, rng: random.Random) -> float:
    """A duration: fixed, or drawn from the session's generator."""
    if isinstance(delay, (int, float)):
        return float(delay)
    if delay.uniform is not None:
        low, high = delay.uniform
        return rng.uniform(low, high)
    assert delay.lognormal is not None  # the model requires one of the two
    shape = delay.lognormal
    value = rng.lognormvariate(math.log(max(shape.median, 1e-6)), shape.sigma)
    return min(value, shape.max)


def scripted_error(
    spec: str | ErrorSpec,
    ctx: RenderContext,
    warnings: list[str],
    *,
    headers: dict[str, str] | None = None,
    retry_after: float | None = None,
    should_retry: bool | None = None,
) -> ScriptedError:
    """A catalogue name or an ``{status, ...}`` mapping, with its message rendered."""
    if isinstance(spec, str):
        return ScriptedError(
            preset=spec,
            headers=headers or {},
            retry_after=retry_after,
            should_retry=should_retry,
        )
    return ScriptedError(
        status=spec.status,
        message=ctx.render(spec.message, warnings) if spec.message else None,
        type=spec.type,
        headers={**spec.headers, **(headers or {})},
        retry_after=retry_after,
        should_retry=should_retry,
    )


def build_plan(reply: Reply, ctx: RenderContext, *, scenario: str, rule: str) -> Plan:
    request = ctx.match.request
    warnings: list[str] = []
    headers = {name: ctx.render(value, warnings) for name, value in reply.headers.items()}
    stream = reply.stream
    timing = Timing(
        delay=draw(reply.delay, ctx.rng),
        ttft=draw(stream.ttft, ctx.rng) if stream else 0.0,
        every=stream.gap if stream else 0.0,
        jitter=stream.jitter if stream else 0.0,
        seed=ctx.rng.getrandbits(32) if stream and stream.jitter else 0,
    )
    common: dict[str, Any] = {"scenario": scenario, "rule": rule, "timing": timing}
    if reply.fault is not None:
        fault = ConnectionFault(reply.fault)
        return Plan(fault, headers=headers, warnings=tuple(warnings), **common)
    if reply.error is not None:
        error = scripted_error(
            reply.error,
            ctx,
            warnings,
            headers=headers,
            retry_after=reply.retry_after,
            should_retry=reply.should_retry,
        )
        return Plan(ErrorAnswer(error), warnings=tuple(warnings), **common)
    fail = stream.fail if stream else None
    stream_fault = None
    if fail is not None:
        stream_fault = StreamFault(
            kind=fail.with_,
            after_events=fail.after_events,
            after_seconds=fail.after,
            error=(
                scripted_error(fail.error or "overloaded", ctx, warnings)
                if fail.with_ == "error"
                else None
            ),
        )

    seed = request_seed(request)
    # A reply that scripts only headers, usage, timing or finish_reason keeps the
    # default reply's content, including the tool call a forcing tool_choice demands.
    scripted = bool(
        reply.text is not None
        or reply.json_ is not None
        or reply.tool_calls
        or reply.thinking is not None
    )
    choices: list[Choice] = []
    for index in range(request.n):
        rng = random.Random(seed + index)
        if scripted:
            calls = tuple(_tool_calls(reply, ctx, rng, warnings))
            text = _text(reply, ctx, rng, warnings, has_calls=bool(calls))
        else:
            calls, text = _generated(request, rng)
        thinking = None
        if reply.thinking is not None:
            thinking = ctx.render(reply.thinking, warnings)
        elif request.thinking_budget:
            thinking = generated_thinking(seed + index)
        choices.append(
            shape_choice(
                request,
                text=text,
                tool_calls=calls,
                thinking=thinking,
                finish="content_filter" if reply.refusal is not None else reply.finish_reason,
                refusal=_refusal(reply),
            )
        )
    completion = completion_of(request, tuple(choices))
    if reply.usage is not None:
        override = {k: v for k, v in reply.usage.model_dump().items() if v is not None}
        completion = replace(completion, usage=replace(completion.usage, **override))
    if reply.embedding is not None:
        first = reply.embedding[0]
        vectors = reply.embedding if isinstance(first, list) else [reply.embedding]
        completion = replace(completion, embeddings=tuple(tuple(v) for v in vectors))  # type: ignore[arg-type]
    answer = Answer(completion, stream_fault, usage_scripted=reply.usage is not None)
    return Plan(answer, headers=headers, warnings=tuple(warnings), **common)


def _text(
    reply: Reply, ctx: RenderContext, rng: random.Random, warnings: list[str], *, has_calls: bool
) -> str:
    request = ctx.match.request
    if isinstance(reply.text, str):
        return ctx.render(reply.text, warnings)
    if isinstance(reply.text, GeneratedText):
        return body_text(request, rng, sentences=reply.text.generate.sentences)
    if isinstance(reply.json_, GeneratedJson):
        schema = request.response_format.schema
        if schema is None:
            warnings.append("json: {generate: schema} but the request has no json_schema")
        return json.dumps(instance_from_schema(schema or {"type": "object"}, rng))
    if reply.json_ is not None:
        return json.dumps(reply.json_)
    if has_calls or reply.thinking is not None:
        return ""
    return body_text(request, rng)


def _generated(request: ChatRequest, rng: random.Random) -> tuple[tuple[ToolCall, ...], str]:
    """The default reply's content, drawn from ``rng`` in the order mockgw.core.completions does."""
    tool = forced_tool(request, rng)
    if tool is None:
        return (), body_text(request, rng)
    call_id = tool_call_id(request, rng)
    return (ToolCall(call_id, tool.name, tool_arguments(tool, rng)),), ""


def _tool_calls(
    reply: Reply, ctx: RenderContext, rng: random.Random, warnings: list[str]
) -> list[ToolCall]:
    request = ctx.match.request
    calls = []
    for spec in reply.tool_calls or ():
        if spec.arguments is not None:
            arguments = map_strings(spec.arguments, lambda text: ctx.render(text, warnings))
        else:
            tool = next((t for t in request.tools if t.name == spec.name), None)
            if tool is None:
                warnings.append(f"tool '{spec.name}' is not offered; its arguments are empty")
            arguments = tool_arguments(tool, rng) if tool else {}
        calls.append(ToolCall(spec.id or tool_call_id(request, rng), spec.name, arguments))
    return calls


def _refusal(reply: Reply) -> Refusal | None:
    spec = reply.refusal
    return None if spec is None else Refusal(spec.category, spec.explanation)
