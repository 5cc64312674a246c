"""Completions built from the request: the default generated reply, and the shaping
every reply goes through, scripted or not.

:func:`shape_choice` gives any content the treatment the API would: a reasoning block
within its budget, ``max_tokens`` and stop sequences that really cut the text with the
matching finish reason. :func:`generated_completion` is what mockgw answers when no
scenario scripts a reply: ``n`` choices, JSON when a JSON response format is asked
for, and a tool call when ``tool_choice`` forces one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import threading
from typing import Any

from mockgw.core.chat import (
    ChatRequest,
    Choice,
    Completion,
    FinishReason,
    Refusal,
    ToolCall,
    ToolSpec,
    Usage,
)
from mockgw.core.generate import instance_from_schema, prose, random_id, request_seed
from mockgw.core.tokens import completion_tokens, request_tokens, split_tokens

# Reasoning draws from its own stream, so turning thinking on or off never changes the
# answer that follows it.
_THINKING_STREAM = 0x7468696E6B


def tool_call_id(request: ChatRequest, rng: random.Random) -> str:
    return request.tool_id_prefix + random_id(rng)


def generated_thinking(seed: int) -> str:
    return prose(random.Random(seed ^ _THINKING_STREAM), min_sentences=2, max_sentences=5)


def shape_choice(
    request: ChatRequest,
    *,
    text: str = "",
    tool_calls: tuple[ToolCall, ...] = (),
    thinking: str | None = None,
    finish: FinishReason | None = None,
    refusal: Refusal | None = None,
) -> Choice:
    """Cut and label content the way the API would; an explicit ``finish`` is kept as is."""
    budget = request.max_tokens
    thinking_pieces: list[str] = []
    signature = ""
    if thinking is not None:
        # Reasoning counts against max_tokens as well as its own budget.
        limits = [n for n in (request.thinking_budget, request.max_tokens) if n is not None]
        thinking_pieces = split_tokens(thinking)[: min(limits) if limits else None]
        signature = _signature("".join(thinking_pieces))
        if budget is not None:
            budget = max(budget - len(thinking_pieces), 0)
    stop_sequence = None if finish is not None else _earliest_stop(text, request.stop)
    if stop_sequence is not None:
        text = text[: text.index(stop_sequence)]
    pieces = split_tokens(text)
    reason: FinishReason = finish or ("tool_calls" if tool_calls else "end")
    if finish is None and budget is not None and len(pieces) > budget:
        pieces = pieces[:budget]
        reason, stop_sequence = "max_tokens", None
    elif stop_sequence is not None:
        reason = "stop_sequence"
    return Choice(
        text_chunks=tuple(pieces),
        tool_calls=tool_calls,
        thinking_chunks=tuple(thinking_pieces),
        thinking_signature=signature,
        finish_reason=reason,
        stop_sequence=stop_sequence,
        refusal=refusal,
    )


def completion_of(request: ChatRequest, choices: tuple[Choice, ...]) -> Completion:
    """Wrap ``choices`` with usage computed from the request and what they contain."""
    output = sum(
        len(c.text_chunks) + len(c.thinking_chunks) + completion_tokens("", c.tool_calls)
        for c in choices
    )
    usage = Usage(
        input_tokens=request_tokens(request),
        output_tokens=output,
        reasoning_tokens=sum(len(c.thinking_chunks) for c in choices),
    )
    return Completion(model=request.model, choices=choices, usage=usage)


def generated_completion(request: ChatRequest) -> Completion:
    """The default completion for ``request``; pure and deterministic."""
    seed = request_seed(request)
    # Everything the result depends on besides the seed; completions are immutable, so
    # repeated requests (the norm in test suites and benchmarks) share one.
    key = (
        seed,
        request.api,
        request.tool_id_prefix,
        request.model,
        request.n,
        request.max_tokens,
        request.stop,
        request.thinking_budget,
        request.tool_choice,
        request_tokens(request),
    )
    cached = _completions.get(key)
    if cached is None:
        choices = tuple(_choice(request, seed + i) for i in range(request.n))
        cached = completion_of(request, choices)
        # Several servers (threads) share this cache: evict and insert under a lock.
        with _completions_lock:
            if len(_completions) >= _CACHE_SIZE:
                _completions.pop(next(iter(_completions)), None)
            _completions[key] = cached
    return cached


_CACHE_SIZE = 2048
_completions: dict[tuple[object, ...], Completion] = {}
_completions_lock = threading.Lock()


def tool_arguments(tool: ToolSpec, rng: random.Random) -> dict[str, Any]:
    """Arguments valid against the tool's schema; always an object, as the APIs send."""
    schema = tool.parameters or {"type": "object"}
    value = instance_from_schema(schema, rng)
    return value if isinstance(value, dict) else {}


def forced_tool(request: ChatRequest, rng: random.Random) -> ToolSpec | None:
    if not request.tools:
        return None
    choice = request.tool_choice
    if choice.mode == "named":
        return next((t for t in request.tools if t.name == choice.name), None)
    if choice.mode == "required":
        allowed = [t for t in request.tools if not choice.allowed or t.name in choice.allowed]
        return rng.choice(allowed or list(request.tools))
    return None


def _choice(request: ChatRequest, seed: int) -> Choice:
    rng = random.Random(seed)
    thinking = generated_thinking(seed) if request.thinking_budget else None
    tool = forced_tool(request, rng)
    if tool is not None:
        call = ToolCall(
            id=tool_call_id(request, rng),
            name=tool.name,
            arguments=tool_arguments(tool, rng),
        )
        return shape_choice(request, tool_calls=(call,), thinking=thinking)
    return shape_choice(request, text=body_text(request, rng), thinking=thinking)


def body_text(request: ChatRequest, rng: random.Random, *, sentences: int | None = None) -> str:
    """Generated text in the requested response format."""
    fmt = request.response_format
    if fmt.kind == "json_schema" and fmt.schema is not None:
        return json.dumps(instance_from_schema(fmt.schema, rng))
    if fmt.kind in ("json_object", "json_schema"):
        return json.dumps(
            {"answer": prose(rng, max_sentences=2), "confidence": rng.randint(0, 100)}
        )
    if sentences is not None:
        return prose(rng, min_sentences=sentences, max_sentences=sentences)
    return prose(rng)


def _earliest_stop(text: str, stops: tuple[str, ...]) -> str | None:
    found = [(text.find(s), s) for s in stops if s and s in text]
    return min(found)[1] if found else None


def _signature(thinking: str) -> str:
    # Opaque like the real signature: clients must pass it back untouched, never parse it.
    digest = hashlib.sha256(thinking.encode()).digest()
    return base64.b64encode(b"mockgw-sig1:" + digest).decode()
