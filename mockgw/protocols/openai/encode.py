"""Completion -> OpenAI Chat Completions JSON body and SSE chunk sequence."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from mockgw.core.chat import Choice, Completion, FinishReason, ToolCall, Usage
from mockgw.core.generate import unique_id
from mockgw.core.tokens import split_tokens
from mockgw.protocols.sse import data_event

FINISH_REASONS: dict[FinishReason, str] = {
    "end": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
    "pause": "stop",  # no pause on this wire: the turn simply ends
    "context_window": "length",
}

DONE = b"data: [DONE]\n\n"


@dataclass(frozen=True, slots=True)
class ResponseMeta:
    """What every chunk of one response repeats."""

    id: str
    created: int
    model: str
    system_fingerprint: str

    @classmethod
    def new(cls, model: str, created: int) -> ResponseMeta:
        suffix = unique_id(29)
        return cls(f"chatcmpl-{suffix}", created, model, fingerprint(model))


def fingerprint(model: str) -> str:
    return "fp_" + hashlib.blake2b(model.encode(), digest_size=5).hexdigest()


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def usage_body(usage: Usage) -> dict[str, Any]:
    prompt = usage.input_tokens + usage.cache_read_tokens + usage.cache_creation_tokens
    return {
        "prompt_tokens": prompt,
        "completion_tokens": usage.output_tokens,
        "total_tokens": prompt + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _tool_call_body(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": _dumps(call.arguments)},
    }


def _message(choice: Choice) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        # The real API sends null, not "", for a tool-call-only answer.
        "content": choice.text if choice.text or not choice.tool_calls else None,
        "refusal": None,
        "annotations": [],
    }
    if choice.tool_calls:
        message["tool_calls"] = [_tool_call_body(call) for call in choice.tool_calls]
    return message


def completion_body(completion: Completion, meta: ResponseMeta) -> dict[str, Any]:
    return {
        "id": meta.id,
        "object": "chat.completion",
        "created": meta.created,
        "model": meta.model,
        "choices": [
            {
                "index": index,
                "message": _message(choice),
                "logprobs": None,
                "finish_reason": FINISH_REASONS[choice.finish_reason],
            }
            for index, choice in enumerate(completion.choices)
        ],
        "usage": usage_body(completion.usage),
        "service_tier": "default",
        "system_fingerprint": meta.system_fingerprint,
    }


def stream_events(
    completion: Completion, meta: ResponseMeta, *, include_usage: bool
) -> list[bytes]:
    """The full chunk sequence, ``[DONE]`` included, in the order the real API sends.

    Chunks are assembled from a pre-serialised prefix rather than by dumping a dict per
    chunk: every chunk repeats the same envelope, and this is the server's hot loop.
    """
    head = (
        f'{{"id":"{meta.id}","object":"chat.completion.chunk","created":{meta.created},'
        f'"model":{_dumps(meta.model)},"system_fingerprint":"{meta.system_fingerprint}",'
        '"choices":['
    )
    tail = ',"usage":null}' if include_usage else "}"
    events: list[bytes] = []

    def emit(index: int, delta: str, finish: str = "null") -> None:
        events.append(
            data_event(
                f'{head}{{"index":{index},"delta":{delta},"logprobs":null,'
                f'"finish_reason":{finish}}}]{tail}'
            )
        )

    for index, choice in enumerate(completion.choices):
        calls = choice.tool_calls
        if choice.text_chunks or not calls:
            emit(index, '{"role":"assistant","content":"","refusal":null}')
            for piece in choice.text_chunks:
                emit(index, f'{{"content":{_dumps(piece)}}}')
            first_call = 0
        else:
            # A tool-call-only answer opens with the role and the first call together.
            emit(
                index,
                '{"role":"assistant","content":null,'
                f'"tool_calls":[{_call_opening(0, calls[0])}],"refusal":null}}',
            )
            _argument_fragments(emit, index, 0, calls[0])
            first_call = 1
        for call_index in range(first_call, len(calls)):
            emit(index, f'{{"tool_calls":[{_call_opening(call_index, calls[call_index])}]}}')
            _argument_fragments(emit, index, call_index, calls[call_index])
        emit(index, "{}", f'"{FINISH_REASONS[choice.finish_reason]}"')
    if include_usage:
        events.append(data_event(f'{head}],"usage":{_dumps(usage_body(completion.usage))}}}'))
    events.append(DONE)
    return events


def _call_opening(call_index: int, call: ToolCall) -> str:
    # The SDK's stream helper requires id, type and name in a call's first fragment.
    return (
        f'{{"index":{call_index},"id":{_dumps(call.id)},"type":"function",'
        f'"function":{{"name":{_dumps(call.name)},"arguments":""}}}}'
    )


def _argument_fragments(emit: Any, index: int, call_index: int, call: ToolCall) -> None:
    for fragment in split_tokens(_dumps(call.arguments)):
        emit(
            index,
            f'{{"tool_calls":[{{"index":{call_index},'
            f'"function":{{"arguments":{_dumps(fragment)}}}}}]}}',
        )
