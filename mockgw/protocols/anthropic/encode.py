"""Completion -> Anthropic Messages JSON body and SSE event sequence."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mockgw.core.chat import Choice, Completion, FinishReason, Usage
from mockgw.core.generate import unique_id
from mockgw.core.tokens import split_tokens
from mockgw.protocols.sse import named_event

STOP_REASONS: dict[FinishReason, str] = {
    "end": "end_turn",
    "max_tokens": "max_tokens",
    "stop_sequence": "stop_sequence",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
    "pause": "pause_turn",
    "context_window": "model_context_window_exceeded",
}


def stop_details(choice: Choice) -> dict[str, Any] | None:
    """``stop_details``: null unless the stop reason has more to say (a refusal)."""
    if choice.finish_reason != "content_filter":
        return None
    refusal = choice.refusal
    return {
        "type": "refusal",
        "category": refusal.category if refusal is not None else None,
        "explanation": refusal.explanation if refusal is not None else None,
    }


_PING = named_event("ping", '{"type": "ping"}')


def new_message_id() -> str:
    return "msg_01" + unique_id(22)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class MessageMeta:
    id: str
    model: str
    cache_ttl: str = "5m"


def usage_body(usage: Usage, cache_ttl: str = "5m") -> dict[str, Any]:
    creation = usage.cache_creation_tokens
    body: dict[str, Any] = {
        "input_tokens": usage.input_tokens,
        "cache_creation_input_tokens": creation,
        "cache_read_input_tokens": usage.cache_read_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": creation if cache_ttl != "1h" else 0,
            "ephemeral_1h_input_tokens": creation if cache_ttl == "1h" else 0,
        },
        "output_tokens": usage.output_tokens,
        "service_tier": "standard",
    }
    if usage.reasoning_tokens:
        body["output_tokens_details"] = {"thinking_tokens": usage.reasoning_tokens}
    return body


def content_blocks(choice: Choice) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if choice.thinking_signature:
        blocks.append(
            {
                "type": "thinking",
                "thinking": choice.thinking,
                "signature": choice.thinking_signature,
            }
        )
    if choice.text_chunks or not choice.tool_calls:
        blocks.append({"type": "text", "text": choice.text})
    blocks.extend(
        {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments}
        for c in choice.tool_calls
    )
    return blocks


def message_body(completion: Completion, meta: MessageMeta) -> dict[str, Any]:
    # The Messages API has no ``n``: only the first choice exists on this wire.
    choice = completion.choices[0]
    return {
        "id": meta.id,
        "type": "message",
        "role": "assistant",
        "model": meta.model,
        "content": content_blocks(choice),
        "stop_reason": STOP_REASONS[choice.finish_reason],
        "stop_sequence": choice.stop_sequence,
        "stop_details": stop_details(choice),
        "usage": usage_body(completion.usage, meta.cache_ttl),
    }


def stream_events(completion: Completion, meta: MessageMeta) -> list[bytes]:
    """``message_start`` ... ``message_stop``, each event with its ``event:`` line."""
    choice = completion.choices[0]
    # The real API reports one output token at the start; never more than the final count.
    start_output = min(1, completion.usage.output_tokens)
    start_usage = {**usage_body(completion.usage, meta.cache_ttl), "output_tokens": start_output}
    start = {
        "type": "message_start",
        "message": {
            "id": meta.id,
            "type": "message",
            "role": "assistant",
            "model": meta.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "stop_details": None,
            "usage": start_usage,
        },
    }
    events = [named_event("message_start", _dumps(start))]
    for index, block in enumerate(content_blocks(choice)):
        block_events = _block_events(index, block, choice)
        if index == 0:
            # The real API pings once, right after the first block opens.
            block_events.insert(1, _PING)
        events.extend(block_events)
    final_usage = usage_body(completion.usage, meta.cache_ttl)
    del final_usage["cache_creation"], final_usage["service_tier"]
    delta = {
        "type": "message_delta",
        "delta": {
            "stop_reason": STOP_REASONS[choice.finish_reason],
            "stop_sequence": choice.stop_sequence,
            "stop_details": stop_details(choice),
        },
        "usage": final_usage,
    }
    events.append(named_event("message_delta", _dumps(delta)))
    events.append(named_event("message_stop", '{"type":"message_stop"}'))
    return events


def _delta_event(index: int, delta: str) -> bytes:
    return named_event(
        "content_block_delta", f'{{"type":"content_block_delta","index":{index},"delta":{delta}}}'
    )


def _block_events(index: int, block: dict[str, Any], choice: Choice) -> list[bytes]:
    kind = block["type"]
    if kind == "text":
        opening: dict[str, Any] = {"type": "text", "text": ""}
        deltas = [f'{{"type":"text_delta","text":{_dumps(p)}}}' for p in choice.text_chunks]
    elif kind == "thinking":
        opening = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [
            f'{{"type":"thinking_delta","thinking":{_dumps(p)}}}' for p in choice.thinking_chunks
        ]
        deltas.append(f'{{"type":"signature_delta","signature":{_dumps(block["signature"])}}}')
    else:
        opening = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        # Like the real API: an empty first fragment, then pieces of the JSON text.
        pieces = ["", *split_tokens(_dumps(block["input"]))]
        deltas = [f'{{"type":"input_json_delta","partial_json":{_dumps(p)}}}' for p in pieces]
    start = {"type": "content_block_start", "index": index, "content_block": opening}
    return [
        named_event("content_block_start", _dumps(start)),
        *(_delta_event(index, d) for d in deltas),
        named_event("content_block_stop", f'{{"type":"content_block_stop","index":{index}}}'),
    ]
