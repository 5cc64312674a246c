"""The Anthropic Messages wire format: messages, token counting and the model list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

from typing_extensions import override

from mockgw.core.chat import Completion
from mockgw.core.conversations import ConversationStore, ConversationUnavailable, Turn
from mockgw.core.keys import bearer_token
from mockgw.core.models import DEPRECATED_MODELS, ModelInfo, undated
from mockgw.core.plan import Answer
from mockgw.core.tokens import request_tokens
from mockgw.errors import ApiError
from mockgw.protocols.anthropic import errors, failures, threads
from mockgw.protocols.anthropic.decode import to_chat_request
from mockgw.protocols.anthropic.encode import (
    MessageMeta,
    message_body,
    new_message_id,
    stream_events,
)
from mockgw.protocols.anthropic.prompt_cache import CachePrefix, PromptCache, cache_prefix
from mockgw.protocols.anthropic.validate import (
    check_version_header,
    validate_count_tokens_request,
    validate_messages_request,
)
from mockgw.protocols.codec import (
    Call,
    ChatOperation,
    Codec,
    Decoded,
    Headers,
    JsonOperation,
    Route,
)
from mockgw.protocols.models import RetrieveModel

_LIMITS = {
    "requests": 4000,
    "tokens": 2_000_000,
    "input-tokens": 1_600_000,
    "output-tokens": 400_000,
}


class Messages(ChatOperation[CachePrefix | None]):
    """``POST /v1/messages``, with prompt-cache accounting in its usage."""

    def __init__(self, cache: PromptCache) -> None:
        self.cache = cache

    def decode(self, body: dict[str, Any], *, strict: bool) -> Decoded[CachePrefix | None]:
        validated, unknown = validate_messages_request(body, strict=strict)
        # The Messages API coerces like pydantic's lax mode ("5" -> 5); the core reads
        # the coerced values, never the raw ones (where bool("false") would be True).
        coerced = validated.model_dump(by_alias=True, exclude_unset=True)
        return Decoded(to_chat_request(coerced), coerced, cache_prefix(coerced), unknown)

    def decode_turn(
        self,
        body: dict[str, Any],
        *,
        strict: bool,
        headers: Headers,
        conversations: ConversationStore,
        session: str,
    ) -> Decoded[CachePrefix | None]:
        raw = body.get("thread")
        if raw is None:
            return self.decode(body, strict=strict)
        spec = threads.parse_thread(raw, headers)
        rest = {k: v for k, v in body.items() if k != "thread"}
        stored = None
        if spec.previous is not None:
            try:
                stored = conversations.peek(session, spec.previous, api=threads.API)
            except ConversationUnavailable as refused:
                raise threads.unavailable(refused) from None
            rest = threads.merge(rest, stored)
        validated, unknown = validate_messages_request(rest, strict=strict)
        coerced = validated.model_dump(by_alias=True, exclude_unset=True)
        if stored is not None:
            threads.check_fingerprint(coerced, stored)
        chat = to_chat_request(coerced)
        turn = Turn(new_message_id(), spec.previous, partial(threads.record, coerced, chat))
        # Rules see the whole conversation, and the thread field as it was sent.
        seen = {**coerced, "thread": raw}
        return Decoded(chat, seen, cache_prefix(coerced), unknown, turn)

    def prepare(
        self, answer: Answer, decoded: Decoded[CachePrefix | None], *, session: str
    ) -> Answer:
        if answer.usage_scripted:
            return answer
        completion = answer.completion
        usage = self.cache.account(
            decoded.extra, completion.usage, session=session, model=decoded.chat.model
        )
        return replace(answer, completion=replace(completion, usage=usage))

    def body(self, completion: Completion, decoded: Decoded[CachePrefix | None]) -> dict[str, Any]:
        return message_body(completion, _meta(decoded))

    def events(self, completion: Completion, decoded: Decoded[CachePrefix | None]) -> list[bytes]:
        return stream_events(completion, _meta(decoded))


def _meta(decoded: Decoded[CachePrefix | None]) -> MessageMeta:
    prefix = decoded.extra
    # A threaded reply's id was chosen before it was answered: it is the thread's handle.
    message_id = decoded.turn.response_id if decoded.turn is not None else new_message_id()
    return MessageMeta(message_id, decoded.chat.model, prefix.ttl if prefix else "5m")


class CountTokens(JsonOperation):
    """``POST /v1/messages/count_tokens``."""

    takes_body = True

    def decode(self, body: dict[str, Any], *, strict: bool) -> Decoded[None]:
        validated, unknown = validate_count_tokens_request(body, strict=strict)
        # Fields count_tokens does not know ("metadata", "stop_sequences": Messages-only)
        # are ignored with a warning, so they must not reach the decoder unvalidated.
        extra = set(validated.model_extra or ())
        coerced = validated.model_dump(by_alias=True, exclude_unset=True, exclude=extra)
        return Decoded(to_chat_request(coerced), coerced, None, unknown)

    def answer(self, call: Call) -> dict[str, Any]:
        assert call.decoded is not None  # takes_body
        return {"input_tokens": request_tokens(call.decoded.chat)}


def display_name(model_id: str) -> str:
    """``claude-opus-4-5-20251101`` -> ``Claude Opus 4.5``; other ids as they are."""
    if not model_id.startswith("claude-"):
        return model_id
    words = undated(model_id).removeprefix("claude-").split("-")
    names = [w for w in words if not w.isdigit() and w != "latest"]
    version = ".".join(w for w in words if w.isdigit())
    return " ".join(["Claude", *(n.capitalize() for n in names), version]).strip()


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _model_body(info: ModelInfo) -> dict[str, Any]:
    # anthropic >= 2.16 requires lifecycle; a strictly validating client refuses a listing
    # without it. Retired ids are never listed, so only active and deprecated occur.
    retires = DEPRECATED_MODELS.get(info.id)
    return {
        "type": "model",
        "id": info.id,
        "display_name": display_name(info.id),
        "created_at": _timestamp(info.created),
        "lifecycle": "active" if retires is None else "deprecated",
        "deprecated_at": None,  # not announced in the SDK: unknown, rather than invented
        "retires_at": None if retires is None else _timestamp(retires),
    }


def _page_limit(raw: str | None) -> int:
    if raw is None:
        return 20
    try:
        limit = int(raw)
    except ValueError:
        raise ApiError(
            400, "invalid_request_error", "limit: Input should be a valid integer"
        ) from None
    if not 1 <= limit <= 1000:
        bound = "greater than or equal to 1" if limit < 1 else "less than or equal to 1000"
        raise ApiError(400, "invalid_request_error", f"limit: Input should be {bound}")
    return limit


class ListModels(JsonOperation):
    """``GET /v1/models``: Claude models, newest first, paged by id."""

    def answer(self, call: Call) -> dict[str, Any]:
        limit = _page_limit(call.query.get("limit"))
        models = [m for m in call.models.all() if m.id.startswith("claude")]
        models.sort(key=lambda m: m.created, reverse=True)
        ids = [m.id for m in models if call.models.accepts(m.id)]
        after, before = call.query.get("after_id"), call.query.get("before_id")
        if after in ids:
            ids = ids[ids.index(after) + 1 :]
            page = ids[:limit]
        elif before in ids:
            ids = ids[: ids.index(before)]
            page = ids[-limit:]
        else:
            page = ids[:limit]
        infos = [call.models.get(i) for i in page]
        return {
            "data": [_model_body(info) for info in infos if info is not None],
            "has_more": len(ids) > limit,
            "first_id": page[0] if page else None,
            "last_id": page[-1] if page else None,
        }


class AnthropicCodec(Codec):
    name = "anthropic"
    request_id_header = "request-id"
    request_id_prefix = "req_011C"

    def __init__(self) -> None:
        self.cache = PromptCache()

    def routes(self) -> Sequence[Route]:
        return (
            Route("POST", "/v1/messages", Messages(self.cache)),
            Route("POST", "/v1/messages/count_tokens", CountTokens()),
            Route("GET", "/v1/models", ListModels()),
            Route(
                "GET", "/v1/models/{model_id}", RetrieveModel(_model_body, errors.model_not_found)
            ),
        )

    def claims(self, path: str, headers: Headers) -> bool:
        return "anthropic-version" in headers or path.startswith("/v1/messages")

    def reset(self, session: str | None = None) -> None:
        self.cache.clear(session)

    def credentials(self, headers: Headers) -> str | None:
        # The 2.x SDK sends ``Authorization: Bearer``; older SDKs and curl users x-api-key.
        return headers.get("x-api-key") or bearer_token(headers)

    def check_headers(self, headers: Headers) -> None:
        # getall joins duplicates the way the real API sees them ("a, b" is rejected).
        versions = headers.getall("anthropic-version", [])
        check_version_header(", ".join(versions) if versions else None)

    missing_key = staticmethod(errors.missing_key)
    body_error = staticmethod(errors.body_error)
    model_not_found = staticmethod(errors.model_not_found)
    error_body = staticmethod(errors.error_body)
    error_event = staticmethod(errors.error_event)
    limit_headers = staticmethod(failures.limit_headers)
    rate_limited = staticmethod(failures.rate_limited)
    presets = failures.PRESETS

    @override
    def invalid_key(self, redacted: str) -> ApiError:
        return errors.invalid_key()  # Anthropic never quotes the key

    @override
    def route_not_found(self, method: str, path: str) -> ApiError:
        return errors.not_found()

    @override
    def common_headers(self, elapsed_ms: int) -> Mapping[str, str]:
        # Plausible, constant limits; reset times are RFC 3339 a minute ahead, like the API.
        reset = (datetime.now(timezone.utc) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        headers = {}
        for name, limit in _LIMITS.items():
            headers[f"anthropic-ratelimit-{name}-limit"] = str(limit)
            headers[f"anthropic-ratelimit-{name}-remaining"] = str(limit - 1)
            headers[f"anthropic-ratelimit-{name}-reset"] = reset
        return headers
