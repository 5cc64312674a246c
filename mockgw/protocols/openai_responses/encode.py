"""Completion -> a Responses API ``response`` object, or its named SSE events.

Both are built from one :class:`ResponseFrame` (what the request fixed: ids, time, the
echoed request fields) and one neutral completion, so a stream always adds up to the
plain response to the same request. Item ids are derived from the response id, not drawn:
the stored copy a later ``GET /v1/responses/{id}`` returns is rebuilt from the same values
and must name the same items the client saw.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mockgw.core.chat import Choice, Completion, FinishReason, ToolCall, Usage
from mockgw.core.tokens import split_tokens
from mockgw.errors import ApiError
from mockgw.protocols.openai.errors import error_body
from mockgw.protocols.sse import named_event

# Why a response stopped early, in ``incomplete_details.reason``; the rest complete.
_INCOMPLETE: dict[FinishReason, str] = {
    "max_tokens": "max_output_tokens",
    "context_window": "max_output_tokens",
    "content_filter": "content_filter",
}


@dataclass(frozen=True, slots=True)
class ResponseFrame:
    """What one response repeats in every event: its id, its time and the request's
    settings the API echoes (``echo``, already in wire form)."""

    id: str
    created_at: int
    model: str
    echo: Mapping[str, Any] = field(default_factory=dict)


def item_id(prefix: str, response_id: str, index: int) -> str:
    digest = hashlib.blake2b(f"{response_id}/{index}".encode(), digest_size=24).hexdigest()
    return f"{prefix}_{digest}"


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def usage_body(usage: Usage) -> dict[str, Any]:
    prompt = usage.input_tokens + usage.cache_read_tokens + usage.cache_creation_tokens
    return {
        "input_tokens": prompt,
        "input_tokens_details": {
            "cached_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_creation_tokens,
        },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": prompt + usage.output_tokens,
    }


@dataclass(frozen=True, slots=True)
class _Item:
    """One output item: its kind, its id and (for the stream) its pieces."""

    kind: str  # "reasoning" | "message" | "function_call"
    id: str
    pieces: tuple[str, ...]
    call: ToolCall | None = None


def _items(choice: Choice, response_id: str) -> list[_Item]:
    items: list[_Item] = []
    if choice.thinking_chunks:
        items.append(_Item("reasoning", item_id("rs", response_id, 0), choice.thinking_chunks))
    # A tool-call-only answer has no message item, as on the real API.
    if choice.text_chunks or not choice.tool_calls:
        items.append(_Item("message", item_id("msg", response_id, 1), choice.text_chunks))
    for index, call in enumerate(choice.tool_calls):
        pieces = tuple(split_tokens(_dumps(call.arguments)))
        items.append(_Item("function_call", item_id("fc", response_id, 2 + index), pieces, call))
    return items


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}


def _item_body(item: _Item, status: str, *, done: bool) -> dict[str, Any]:
    text = "".join(item.pieces) if done else ""
    if item.kind == "reasoning":
        summary = [{"type": "summary_text", "text": text}] if done else []
        return {"id": item.id, "type": "reasoning", "summary": summary}
    if item.kind == "message":
        return {
            "id": item.id,
            "type": "message",
            "status": status,
            "content": [_text_part(text)] if done else [],
            "role": "assistant",
        }
    assert item.call is not None  # function_call items carry their call
    return {
        "id": item.id,
        "type": "function_call",
        "status": status,
        "arguments": text,
        "call_id": item.call.id,
        "name": item.call.name,
    }


def status_of(choice: Choice) -> str:
    return "incomplete" if choice.finish_reason in _INCOMPLETE else "completed"


def response_body(
    frame: ResponseFrame,
    completion: Completion | None,
    *,
    status: str | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``response`` object; without a completion, as it stands before any output
    (``response.created``) or after a failure."""
    output: list[dict[str, Any]] = []
    incomplete = None
    if completion is not None:
        choice = completion.choices[0]
        status = status or status_of(choice)
        item_status = "incomplete" if status == "incomplete" else "completed"
        output = [_item_body(i, item_status, done=True) for i in _items(choice, frame.id)]
        if choice.finish_reason in _INCOMPLETE:
            incomplete = {"reason": _INCOMPLETE[choice.finish_reason]}
    body: dict[str, Any] = {
        "id": frame.id,
        "object": "response",
        "created_at": frame.created_at,
        "status": status or "in_progress",
        "background": False,
        "error": error,
        "incomplete_details": incomplete,
        **frame.echo,
        "model": frame.model,
        "output": output,
        "usage": usage_body(completion.usage) if completion is not None else None,
    }
    if completion is not None and status == "completed":
        body["completed_at"] = frame.created_at
    return body


class _Events:
    """Named events numbered from 0 by ``sequence_number``, as the API sends them."""

    def __init__(self) -> None:
        self.events: list[bytes] = []

    def add(self, kind: str, **fields: Any) -> None:
        payload = {"type": kind, "sequence_number": len(self.events), **fields}
        self.events.append(named_event(kind, _dumps(payload)))


def stream_events(frame: ResponseFrame, completion: Completion) -> list[bytes]:
    """Every event of the stream, ``response.completed`` (or ``.incomplete``) last."""
    out = _Events()
    opening = response_body(frame, None)
    out.add("response.created", response=opening)
    out.add("response.in_progress", response=opening)
    choice = completion.choices[0]
    final = response_body(frame, completion)
    item_status = "incomplete" if final["status"] == "incomplete" else "completed"
    for index, item in enumerate(_items(choice, frame.id)):
        where = {"item_id": item.id, "output_index": index}
        out.add(
            "response.output_item.added",
            output_index=index,
            item=_item_body(item, "in_progress", done=False),
        )
        text = "".join(item.pieces)
        if item.kind == "reasoning":
            where = {**where, "summary_index": 0}
            empty = {"type": "summary_text", "text": ""}
            out.add("response.reasoning_summary_part.added", **where, part=empty)
            for piece in item.pieces:
                out.add("response.reasoning_summary_text.delta", **where, delta=piece)
            out.add("response.reasoning_summary_text.done", **where, text=text)
            part = {"type": "summary_text", "text": text}
            out.add("response.reasoning_summary_part.done", **where, part=part)
        elif item.kind == "message":
            where = {**where, "content_index": 0}
            out.add("response.content_part.added", **where, part=_text_part(""))
            for piece in item.pieces:
                out.add("response.output_text.delta", **where, delta=piece, logprobs=[])
            out.add("response.output_text.done", **where, text=text, logprobs=[])
            out.add("response.content_part.done", **where, part=_text_part(text))
        else:
            for piece in item.pieces:
                out.add("response.function_call_arguments.delta", **where, delta=piece)
            assert item.call is not None  # function_call items carry their call
            out.add(
                "response.function_call_arguments.done",
                **where,
                name=item.call.name,
                arguments=text,
            )
        out.add(
            "response.output_item.done",
            output_index=index,
            item=_item_body(item, item_status, done=True),
        )
    out.add(f"response.{final['status']}", response=final)
    return out.events


def error_events(frame: ResponseFrame, error: ApiError, *, sent: int) -> bytes:
    """A failure after ``sent`` events: an ``error`` event, then ``response.failed``.

    The ``error`` event carries the fields the SDK's ``ResponseErrorEvent`` declares and,
    under ``error``, the API's error object: a top-level ``error`` key is what makes the
    official SDKs raise ``APIError`` mid-stream, as they do for Chat Completions.
    """
    wire = error_body(error)["error"]
    event = {
        "type": "error",
        "sequence_number": sent,
        "code": wire["code"] or wire["type"],
        "message": wire["message"],
        "param": wire["param"],
        "error": wire,
    }
    failed = response_body(
        frame,
        None,
        status="failed",
        error={"code": wire["code"] or "server_error", "message": wire["message"]},
    )
    closing = {"type": "response.failed", "sequence_number": sent + 1, "response": failed}
    return named_event("error", _dumps(event)) + named_event("response.failed", _dumps(closing))
