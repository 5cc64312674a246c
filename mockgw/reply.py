"""The reply mockgw gives when nothing scripts one: generated, but faithful.

It honours what the request asks for, the way a real model's output is shaped by the
API: ``n`` choices, JSON when a JSON response format is requested, a tool call when
``tool_choice`` forces one, a reasoning block when thinking is on, and ``max_tokens``
and stop sequences that really cut the text with the matching finish reason.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random

from mockgw.core import ChatRequest, Choice, Completion, FinishReason, ToolCall, ToolSpec, Usage
from mockgw.generate import instance_from_schema, prose, random_id, request_seed
from mockgw.tokens import completion_tokens, request_tokens, split_tokens

_TOOL_ID_PREFIX = {"openai": "call_", "anthropic": "toolu_01"}


def generated_completion(request: ChatRequest) -> Completion:
    """Build the default completion for ``request``; pure and deterministic."""
    seed = request_seed(request)
    choices = tuple(_choice(request, seed + index) for index in range(request.n))
    output = sum(
        len(c.text_chunks) + len(c.thinking_chunks) + completion_tokens("", c.tool_calls)
        for c in choices
    )
    reasoning = sum(len(c.thinking_chunks) for c in choices)
    usage = Usage(
        input_tokens=request_tokens(request), output_tokens=output, reasoning_tokens=reasoning
    )
    return Completion(model=request.model, choices=choices, usage=usage)


def _forced_tool(request: ChatRequest, rng: random.Random) -> ToolSpec | None:
    if not request.tools:
        return None
    if request.tool_choice.mode == "named":
        return next((t for t in request.tools if t.name == request.tool_choice.name), None)
    if request.tool_choice.mode == "required":
        return rng.choice(request.tools)
    return None


# Reasoning draws from its own stream, so turning thinking on or off never changes the
# answer that follows it.
_THINKING_STREAM = 0x7468696E6B


def _choice(request: ChatRequest, seed: int) -> Choice:
    rng = random.Random(seed)
    budget = request.max_tokens
    thinking: list[str] = []
    signature = ""
    if request.thinking_budget:
        thinking_rng = random.Random(seed ^ _THINKING_STREAM)
        thinking = split_tokens(prose(thinking_rng, min_sentences=2, max_sentences=5))
        thinking = thinking[: request.thinking_budget]
        signature = _signature("".join(thinking))
        if budget is not None:
            budget = max(budget - len(thinking), 0)

    tool = _forced_tool(request, rng)
    if tool is not None:
        call = ToolCall(
            id=_TOOL_ID_PREFIX[request.api] + random_id(rng),
            name=tool.name,
            arguments=instance_from_schema(tool.parameters, rng),
        )
        return Choice(
            tool_calls=(call,),
            thinking_chunks=tuple(thinking),
            thinking_signature=signature,
            finish_reason="tool_calls",
        )

    text = _body_text(request, rng)
    finish: FinishReason = "end"
    stop_sequence = _earliest_stop(text, request.stop)
    if stop_sequence is not None:
        text = text[: text.index(stop_sequence)]
    pieces = split_tokens(text)
    if budget is not None and len(pieces) > budget:
        pieces = pieces[:budget]
        finish, stop_sequence = "max_tokens", None
    elif stop_sequence is not None:
        finish = "stop_sequence"
    return Choice(
        text_chunks=tuple(pieces),
        thinking_chunks=tuple(thinking),
        thinking_signature=signature,
        finish_reason=finish,
        stop_sequence=stop_sequence,
    )


def _body_text(request: ChatRequest, rng: random.Random) -> str:
    fmt = request.response_format
    if fmt.kind == "json_schema" and fmt.schema is not None:
        return json.dumps(instance_from_schema(fmt.schema, rng))
    if fmt.kind in ("json_object", "json_schema"):
        return json.dumps(
            {"answer": prose(rng, max_sentences=2), "confidence": rng.randint(0, 100)}
        )
    return prose(rng)


def _earliest_stop(text: str, stops: tuple[str, ...]) -> str | None:
    found = [(text.find(s), s) for s in stops if s and s in text]
    return min(found)[1] if found else None


def _signature(thinking: str) -> str:
    # Opaque like the real signature: clients must pass it back untouched, never parse it.
    digest = hashlib.sha256(thinking.encode()).digest()
    return base64.b64encode(b"mockgw-sig1:" + digest).decode()
