"""Stored responses: ``store``, ``previous_response_id`` and the routes that read them.

A response the client did not opt out of storing (``store`` defaults to true) is kept in
the server's conversation store (:mod:`mockgw.core.conversations`) under its id, with the
whole input it answered and the response object as sent. Unlike an Anthropic thread, a
response may be continued any number of times, each continue branching from it: turns are
saved without ``continues``, so no entry is ever marked continued. Instructions and tools
are not carried over from the previous response, as on the real API: only the items are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mockgw.core.chat import ChatRequest, Completion
from mockgw.core.conversations import (
    Conversation,
    ConversationStore,
    ConversationUnavailable,
    reply_message,
)
from mockgw.errors import ApiError
from mockgw.protocols.openai.validation_errors import invalid_request
from mockgw.protocols.openai_responses.encode import ResponseFrame, item_id, response_body
from mockgw.protocols.openai_responses.validate import item_kind

_ITEM_PREFIX = {
    "message": "msg",
    "function_call": "fc",
    "function_call_output": "fco",
    "reasoning": "rs",
}


def not_found(response_id: str) -> ApiError:
    return ApiError(
        404, "not_found_error", f"Response with id '{response_id}' not found.", param=None
    )


def previous_not_found(response_id: str) -> ApiError:
    return invalid_request(
        f"Previous response with id '{response_id}' not found.",
        "previous_response_id",
        "previous_response_not_found",
    )


def history(stored: Conversation) -> list[dict[str, Any]]:
    """What a continue puts before its own input: the stored input, then the output."""
    return [*stored.wire["input"], *stored.wire["response"]["output"]]


def with_ids(items: list[dict[str, Any]], response_id: str) -> list[dict[str, Any]]:
    """Input items as the API lists them: each with an id and a status, text as parts."""
    listed = []
    for index, item in enumerate(items):
        kind = item_kind(item)
        entry = {**item, "type": kind}
        if "id" not in entry and kind in _ITEM_PREFIX:
            entry["id"] = item_id(_ITEM_PREFIX[kind], response_id, 1000 + index)
        if isinstance(entry.get("content"), str):
            part = "output_text" if entry.get("role") == "assistant" else "input_text"
            entry["content"] = [{"type": part, "text": entry["content"]}]
        if kind != "reasoning":
            entry.setdefault("status", "completed")
        listed.append(entry)
    return listed


def record(
    api: str, frame: ResponseFrame, chat: ChatRequest, items: list[dict[str, Any]]
) -> Callable[[Completion], Conversation]:
    """The ``Turn.record`` of a stored response: what the store keeps once it went out."""

    def keep(completion: Completion) -> Conversation:
        wire = {"input": items, "response": response_body(frame, completion)}
        return Conversation(api, chat, reply_message(completion.choices[0]), wire=wire)

    return keep


def lookup(
    session: str, store: ConversationStore | None, response_id: str, api: str
) -> Conversation:
    """The stored response ``response_id``, or the API's 404."""
    assert store is not None  # the pipeline passes the server's store
    try:
        return store.peek(session, response_id, api=api)
    except ConversationUnavailable:
        raise not_found(response_id) from None


def page(items: list[dict[str, Any]], query: Mapping[str, str]) -> dict[str, Any]:
    """``GET /v1/responses/{id}/input_items``: ``order`` (desc by default), ``after``
    (an item id) and ``limit`` (1 to 100, 20 by default), as the API pages."""
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise invalid_request(
            f"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.",
            "order",
            "invalid_value",
        )
    raw_limit = query.get("limit", "20")
    try:
        limit = int(raw_limit)
    except ValueError:
        raise invalid_request(
            "Invalid type for 'limit': expected an integer, but got a string instead.",
            "limit",
            "invalid_type",
        ) from None
    if not 1 <= limit <= 100:
        side, bound, op = (
            ("below", "minimum", ">= 1") if limit < 1 else ("above", "maximum", "<= 100")
        )
        raise invalid_request(
            f"Invalid 'limit': integer {side} {bound} value. Expected a value {op}, but got "
            f"{limit} instead.",
            "limit",
            f"integer_{side}_{bound[:3]}_value",
        )
    ordered = items if order == "asc" else items[::-1]
    after = query.get("after")
    if after is not None:
        ids = [item.get("id") for item in ordered]
        ordered = ordered[ids.index(after) + 1 :] if after in ids else []
    data = ordered[:limit]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": len(ordered) > limit,
    }
