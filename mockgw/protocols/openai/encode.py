"""Completion -> OpenAI Chat Completions JSON body and SSE chunk sequence."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from mockgw.core.chat import Choice, Completion, FinishReason, ToolCall, Usage
from mockgw.core.generate import unique_id
from mockgw.core.profiles import Profile
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
class Traits:
    """What a provider profile (mockgw/core/profiles.py) sends on this wire."""

    system_fingerprint: bool  # the ``fp_...`` of the serving configuration
    service_tier: bool  # the tier that served the request
    obfuscation: bool  # random padding in streamed chunks, unless the client turns it off


# OpenAI's own service sends all three; a Claude-fronting gateway's OpenAI-compatible
# endpoint sends none of them.
TRAITS: dict[Profile, Traits] = {
    "native": Traits(system_fingerprint=True, service_tier=True, obfuscation=True),
    "gateway": Traits(system_fingerprint=False, service_tier=False, obfuscation=False),
}

# The tier a response reports for the one requested: OpenAI answers "priority" for
# "fast" as well, and "default" when the request left it to the service.
_SERVED_TIER = {"flex": "flex", "scale": "scale", "priority": "priority", "fast": "priority"}

# Padding lengths go up to this many characters (the real strings are short).
_PAD = 16


@dataclass(frozen=True, slots=True)
class ResponseMeta:
    """What every chunk of one response repeats; ``None`` leaves a key out."""

    id: str
    created: int
    model: str
    system_fingerprint: str | None = None
    service_tier: str | None = None
    # Characters padding strings are cut from, fresh per response; None sends none.
    padding: str | None = None

    @classmethod
    def new(
        cls,
        model: str,
        created: int,
        *,
        profile: Profile = "native",
        requested_tier: Any = None,
        obfuscation: bool = True,
    ) -> ResponseMeta:
        """``requested_tier`` is the request's ``service_tier``; ``obfuscation`` False when
        the client sent ``stream_options.include_obfuscation: false``."""
        traits = TRAITS[profile]
        return cls(
            f"chatcmpl-{unique_id(29)}",
            created,
            model,
            fingerprint(model) if traits.system_fingerprint else None,
            _SERVED_TIER.get(requested_tier, "default") if traits.service_tier else None,
            # One random draw per response; each chunk takes a slice of it, which keeps
            # the hot loop free of random number generation.
            unique_id(2 * _PAD) if traits.obfuscation and obfuscation else None,
        )


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
    body = {
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
    }
    if meta.service_tier is not None:
        body["service_tier"] = meta.service_tier
    if meta.system_fingerprint is not None:
        body["system_fingerprint"] = meta.system_fingerprint
    return body


def stream_events(
    completion: Completion, meta: ResponseMeta, *, include_usage: bool
) -> list[bytes]:
    """The full chunk sequence, ``[DONE]`` included, in the order the real API sends.

    Chunks are assembled from a pre-serialised prefix rather than by dumping a dict per
    chunk: every chunk repeats the same envelope, and this is the server's hot loop.
    """
    tier = "" if meta.service_tier is None else f'"service_tier":"{meta.service_tier}",'
    fp = meta.system_fingerprint
    fp_key = "" if fp is None else f'"system_fingerprint":"{fp}",'
    head = (
        f'{{"id":"{meta.id}","object":"chat.completion.chunk","created":{meta.created},'
        f'"model":{_dumps(meta.model)},{tier}{fp_key}"choices":['
    )
    usage = ',"usage":null' if include_usage else ""
    padding = meta.padding
    events: list[bytes] = []

    def close(text: str) -> str:
        # The top-level obfuscation key pads a chunk towards a multiple of _PAD characters,
        # as the real one hides the size of each delta: a slice, not a fresh random draw.
        if padding is None:
            return f"{text}}}"
        start = len(text) % _PAD
        return f'{text},"obfuscation":"{padding[start:_PAD]}"}}'

    def emit(index: int, delta: str, finish: str = "null") -> None:
        events.append(
            data_event(
                close(
                    f'{head}{{"index":{index},"delta":{delta},"logprobs":null,'
                    f'"finish_reason":{finish}}}]{usage}'
                )
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
        events.append(data_event(close(f'{head}],"usage":{_dumps(usage_body(completion.usage))}')))
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
