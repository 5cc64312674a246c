"""The OpenAI Responses codec: ``/v1/responses`` and the routes of stored responses.

It speaks OpenAI's dialect for everything but the endpoint's own shape: the same
credentials, error body, request-id header, rate-limit headers and error catalogue as the
Chat Completions codec, which it extends.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from mockgw.core.chat import Completion, Usage
from mockgw.core.conversations import ConversationStore, ConversationUnavailable, Turn
from mockgw.core.generate import unique_id
from mockgw.core.tokens import count_tokens, request_tokens
from mockgw.errors import ApiError
from mockgw.protocols.codec import (
    Call,
    ChatOperation,
    Codec,
    Decoded,
    Headers,
    JsonOperation,
    Route,
)
from mockgw.protocols.openai.codec import OpenAICodec
from mockgw.protocols.openai.validation_errors import invalid_request
from mockgw.protocols.openai_responses import stored
from mockgw.protocols.openai_responses.decode import input_items, to_chat_request
from mockgw.protocols.openai_responses.encode import (
    ResponseFrame,
    error_events,
    item_id,
    response_body,
    stream_events,
    usage_body,
)
from mockgw.protocols.openai_responses.validate import validate_request

API = "responses"


def new_response_id() -> str:
    return f"resp_{unique_id(48)}"


def _echo(body: dict[str, Any], *, native: bool) -> dict[str, Any]:
    """The request's settings as the response repeats them, defaults filled in."""
    reasoning = body.get("reasoning") or {}
    text = body.get("text") or {}
    echo = {
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "metadata": body.get("metadata") or {},
        "parallel_tool_calls": body.get("parallel_tool_calls") is not False,
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
        "safety_identifier": body.get("safety_identifier"),
        "store": body.get("store") is not False,
        "temperature": body.get("temperature", 1.0),
        "text": {
            "format": text.get("format") or {"type": "text"},
            "verbosity": text.get("verbosity") or "medium",
        },
        "tool_choice": body.get("tool_choice") or "auto",
        "tools": body.get("tools") or [],
        "top_logprobs": body.get("top_logprobs") or 0,
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation") or "disabled",
        "user": body.get("user"),
    }
    if native:  # a gateway's OpenAI-compatible endpoint does not say which tier served
        echo["service_tier"] = "default"
    return echo


def _previous(
    body: dict[str, Any], conversations: ConversationStore | None, session: str
) -> list[dict[str, Any]]:
    """The stored items a ``previous_response_id`` names, or the API's 400."""
    previous = body.get("previous_response_id")
    if not isinstance(previous, str):
        return []  # absent, or a wrong type validation words
    if conversations is None:
        raise stored.previous_not_found(previous)
    try:
        conversation = conversations.peek(session, previous, api=API)
    except ConversationUnavailable:
        raise stored.previous_not_found(previous) from None
    return stored.history(conversation)


def _call_ids(items: list[dict[str, Any]]) -> list[str]:
    return [i["call_id"] for i in items if i.get("type") == "function_call" and "call_id" in i]


class CreateResponse(ChatOperation[ResponseFrame]):
    """``POST /v1/responses``."""

    def decode(self, body: dict[str, Any], *, strict: bool) -> Decoded[ResponseFrame]:
        return self._decode(body, strict=strict, conversations=None, session="")

    def decode_turn(
        self,
        body: dict[str, Any],
        *,
        strict: bool,
        headers: Headers,  # noqa: ARG002 (the hook's signature: no header matters here)
        conversations: ConversationStore,
        session: str,
    ) -> Decoded[ResponseFrame]:
        return self._decode(body, strict=strict, conversations=conversations, session=session)

    def _decode(
        self,
        body: dict[str, Any],
        *,
        strict: bool,
        conversations: ConversationStore | None,
        session: str,
    ) -> Decoded[ResponseFrame]:
        earlier = _previous(body, conversations, session)
        unknown = validate_request(body, strict=strict, known_calls=_call_ids(earlier))
        response_id = new_response_id()
        own = stored.with_ids(input_items(body.get("input")), response_id)
        items = [*earlier, *own]
        chat = to_chat_request(body, items, api=API)
        frame = ResponseFrame(response_id, int(time.time()), chat.model, _echo(body, native=True))
        turn = None
        if body.get("store") is not False:
            turn = Turn(response_id, None, stored.record(API, frame, chat, items))
        return Decoded(chat, body, frame, unknown, turn)

    def _frame(self, decoded: Decoded[ResponseFrame]) -> ResponseFrame:
        frame = decoded.extra
        if decoded.profile == "native":
            return frame
        echo = {k: v for k, v in frame.echo.items() if k != "service_tier"}
        return ResponseFrame(frame.id, frame.created_at, frame.model, echo)

    def body(self, completion: Completion, decoded: Decoded[ResponseFrame]) -> dict[str, Any]:
        return response_body(self._frame(decoded), completion)

    def events(self, completion: Completion, decoded: Decoded[ResponseFrame]) -> list[bytes]:
        return stream_events(self._frame(decoded), completion)

    def stream_error(
        self,
        codec: Codec,  # noqa: ARG002 (the hook's signature: the events are this API's own)
        error: ApiError,
        decoded: Decoded[ResponseFrame],
        *,
        sent: int,
        request_id: str,  # noqa: ARG002
    ) -> bytes:
        return error_events(self._frame(decoded), error, sent=sent)


class RetrieveResponse(JsonOperation):
    """``GET /v1/responses/{response_id}``."""

    def answer(self, call: Call) -> dict[str, Any]:
        conversation = stored.lookup(
            call.session, call.conversations, call.params["response_id"], API
        )
        body: dict[str, Any] = conversation.wire["response"]
        return body


class DeleteResponse(JsonOperation):
    """``DELETE /v1/responses/{response_id}``."""

    def answer(self, call: Call) -> dict[str, Any]:
        response_id = call.params["response_id"]
        assert call.conversations is not None  # the pipeline passes the server's store
        if not call.conversations.forget(call.session, response_id, api=API):
            raise stored.not_found(response_id)
        return {"id": response_id, "object": "response", "deleted": True}


class ListInputItems(JsonOperation):
    """``GET /v1/responses/{response_id}/input_items``."""

    def answer(self, call: Call) -> dict[str, Any]:
        conversation = stored.lookup(
            call.session, call.conversations, call.params["response_id"], API
        )
        return stored.page(list(conversation.wire["input"]), call.query)


class CancelResponse(JsonOperation):
    """``POST /v1/responses/{response_id}/cancel``: only a background response can be
    cancelled, and mockgw answers none in the background."""

    def answer(self, call: Call) -> dict[str, Any]:
        stored.lookup(call.session, call.conversations, call.params["response_id"], API)
        raise invalid_request("Cannot cancel a synchronous response.")


class CountInputTokens(JsonOperation):
    """``POST /v1/responses/input_tokens``: the ``input_tokens`` ``create`` would report."""

    takes_body = True

    def decode(self, body: dict[str, Any], *, strict: bool) -> Decoded[None]:
        # The stored history is read in answer(), where the store is at hand; a call id it
        # holds may be answered here, so pairing is checked there too.
        paired = () if body.get("previous_response_id") is None else None
        unknown = validate_request(
            {k: v for k, v in body.items() if k != "input"} if paired is None else body,
            strict=strict,
        )
        chat = to_chat_request(body, [], api=API)
        return Decoded(chat, body, None, unknown)

    def answer(self, call: Call) -> dict[str, Any]:
        assert call.decoded is not None  # takes_body
        body = call.decoded.body
        earlier = _previous(body, call.conversations, call.session)
        validate_request(body, strict=False, known_calls=_call_ids(earlier))
        items = [*earlier, *input_items(body.get("input"))]
        chat = to_chat_request(body, items, api=API)
        return {"object": "response.input_tokens", "input_tokens": request_tokens(chat)}


class CompactResponse(JsonOperation):
    """``POST /v1/responses/compact``: the conversation shrunk to one opaque ``compaction``
    item after the user's own messages, which the API keeps as they were."""

    takes_body = True

    def decode(self, body: dict[str, Any], *, strict: bool) -> Decoded[None]:
        return CountInputTokens().decode(body, strict=strict)

    def answer(self, call: Call) -> dict[str, Any]:
        assert call.decoded is not None  # takes_body
        body = call.decoded.body
        earlier = _previous(body, call.conversations, call.session)
        validate_request(body, strict=False, known_calls=_call_ids(earlier))
        response_id = new_response_id()
        items = stored.with_ids([*earlier, *input_items(body.get("input"))], response_id)
        chat = to_chat_request(body, items, api=API)
        users = [i for i in items if i.get("type") == "message" and i.get("role") == "user"]
        summary = f"mockgw-compaction:{len(items)}:{request_tokens(chat)}"
        compaction = {
            "id": item_id("cmp", response_id, 0),
            "type": "compaction",
            "encrypted_content": summary,
        }
        usage = Usage(input_tokens=request_tokens(chat), output_tokens=count_tokens(summary))
        return {
            "id": response_id,
            "object": "response.compaction",
            "created_at": int(time.time()),
            "output": [*users, compaction],
            "usage": usage_body(usage),
        }


class ResponsesCodec(OpenAICodec):
    """OpenAI's Responses API; see docs/responses.md."""

    name = API

    def routes(self) -> Sequence[Route]:
        return (
            Route("POST", "/v1/responses", CreateResponse()),
            Route("POST", "/v1/responses/input_tokens", CountInputTokens()),
            Route("POST", "/v1/responses/compact", CompactResponse()),
            Route("GET", "/v1/responses/{response_id}", RetrieveResponse()),
            Route("DELETE", "/v1/responses/{response_id}", DeleteResponse()),
            Route("GET", "/v1/responses/{response_id}/input_items", ListInputItems()),
            Route("POST", "/v1/responses/{response_id}/cancel", CancelResponse()),
        )
