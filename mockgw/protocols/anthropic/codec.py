"""aiohttp handlers for the Anthropic Messages endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from mockgw.config import ServerConfig
from mockgw.core.keys import bearer_token, key_accepted
from mockgw.core.tokens import request_tokens
from mockgw.errors import ApiError
from mockgw.protocols.anthropic import errors
from mockgw.protocols.anthropic.decode import to_chat_request
from mockgw.protocols.anthropic.encode import (
    MessageMeta,
    message_body,
    new_message_id,
    stream_events,
)
from mockgw.protocols.anthropic.prompt_cache import PromptCache, cache_prefix
from mockgw.protocols.anthropic.validate import (
    check_version_header,
    validate_count_tokens_request,
    validate_messages_request,
)
from mockgw.scenarios.engine import Engine
from mockgw.web.body import BodyProblem, read_json_object
from mockgw.web.frame import Exchange, RequestHandler, WireStyle, endpoint
from mockgw.web.pipeline import deliver, plan_answer, present
from mockgw.web.selection import chosen_scenario, chosen_session

_LIMITS = {
    "requests": 4000,
    "tokens": 2_000_000,
    "input-tokens": 1_600_000,
    "output-tokens": 400_000,
}


def _common_headers(_elapsed_ms: int) -> Mapping[str, str]:
    # Plausible, constant limits; reset times are RFC 3339 a minute ahead, like the API.
    reset = (datetime.now(timezone.utc) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {}
    for name, limit in _LIMITS.items():
        headers[f"anthropic-ratelimit-{name}-limit"] = str(limit)
        headers[f"anthropic-ratelimit-{name}-remaining"] = str(limit - 1)
        headers[f"anthropic-ratelimit-{name}-reset"] = reset
    return headers


STYLE = WireStyle(
    name="anthropic",
    request_id_header="request-id",
    request_id_prefix="req_011C",
    error_body=errors.error_body,
    common_headers=_common_headers,
)


def check_auth(exchange: Exchange, config: ServerConfig) -> None:
    # The 2.x SDK sends ``Authorization: Bearer``; older SDKs and curl users x-api-key.
    headers = exchange.request.headers
    key = headers.get("x-api-key") or bearer_token(headers)
    if not key:
        raise errors.missing_key()
    if not key_accepted(key, config.api_keys):
        raise errors.invalid_key()


def _check_headers(exchange: Exchange, config: ServerConfig) -> None:
    check_auth(exchange, config)
    # getall joins duplicates the way the real API sees them ("a, b" is rejected).
    versions = exchange.request.headers.getall("anthropic-version", [])
    check_version_header(", ".join(versions) if versions else None)


async def _body(exchange: Exchange, config: ServerConfig) -> dict[str, Any]:
    try:
        body = await read_json_object(exchange.request, limit=config.max_body_bytes)
    except BodyProblem as problem:
        raise errors.body_error(problem) from None
    exchange.body = body
    return body


def routes(config: ServerConfig, engine: Engine, cache: PromptCache) -> list[web.RouteDef]:
    @endpoint(STYLE)
    async def create_message(exchange: Exchange) -> web.StreamResponse:
        _check_headers(exchange, config)
        body = await _body(exchange, config)
        validated, unknown = validate_messages_request(body, strict=config.strict)
        # The Messages API coerces like pydantic's lax mode ("5" -> 5); the core reads
        # the coerced values, never the raw ones (where bool("false") would be True).
        body = validated.model_dump(by_alias=True, exclude_unset=True)
        exchange.warn_unknown_fields(unknown)
        if not config.models.accepts(body["model"]):
            raise errors.model_not_found(body["model"])
        chat = to_chat_request(body)
        plan = await plan_answer(exchange, engine, chat, body, max_wait=config.max_wait_seconds)
        prefix = cache_prefix(body)
        completion = plan.completion
        if completion is not None and not plan.usage_scripted:
            scope = f"{chosen_session(exchange.request)}:{chat.model}"
            usage = cache.account(prefix, completion.usage, scope=scope)
            completion = replace(completion, usage=usage)
        meta = MessageMeta(new_message_id(), chat.model, prefix.ttl if prefix else "5m")
        return await deliver(
            exchange,
            plan,
            stream=chat.stream,
            body=lambda: message_body(present(completion), meta),
            events=lambda: stream_events(present(completion), meta),
            error_event=lambda error: errors.error_event(error, exchange.request_id),
            max_wait=config.max_wait_seconds,
        )

    @endpoint(STYLE)
    async def count_tokens(exchange: Exchange) -> web.StreamResponse:
        _check_headers(exchange, config)
        body = await _body(exchange, config)
        engine.resolve(chosen_scenario(exchange.request))  # a typo'd /s/NAME is a 404 here too
        validated_count, unknown = validate_count_tokens_request(body, strict=config.strict)
        body = validated_count.model_dump(by_alias=True, exclude_unset=True)
        exchange.warn_unknown_fields(unknown)
        if not config.models.accepts(body["model"]):
            raise errors.model_not_found(body["model"])
        return exchange.json({"input_tokens": request_tokens(to_chat_request(body))})

    return [
        web.post("/v1/messages", create_message),
        web.post("/v1/messages/count_tokens", count_tokens),
    ]


def _model_body(model_id: str, config: ServerConfig) -> dict[str, Any]:
    info = config.models.get(model_id)
    assert info is not None
    return {
        "type": "model",
        "id": info.id,
        "display_name": info.display_name,
        "created_at": info.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
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


def model_handlers(config: ServerConfig, engine: Engine) -> tuple[RequestHandler, RequestHandler]:
    """``GET /v1/models`` (paged, newest first) and ``GET /v1/models/{id}``."""

    def listed() -> list[str]:
        models = [m for m in config.models.all() if m.owned_by == "anthropic"]
        models.sort(key=lambda m: m.created, reverse=True)
        return [m.id for m in models if config.models.accepts(m.id)]

    @endpoint(STYLE)
    async def list_models(exchange: Exchange) -> web.StreamResponse:
        _check_headers(exchange, config)
        engine.resolve(chosen_scenario(exchange.request))  # /s/NAME must exist
        query = exchange.request.query
        limit = _page_limit(query.get("limit"))
        ids = listed()
        if "after_id" in query and query["after_id"] in ids:
            ids = ids[ids.index(query["after_id"]) + 1 :]
            page, has_more = ids[:limit], len(ids) > limit
        elif "before_id" in query and query["before_id"] in ids:
            ids = ids[: ids.index(query["before_id"])]
            page, has_more = ids[-limit:], len(ids) > limit
        else:
            page, has_more = ids[:limit], len(ids) > limit
        return exchange.json(
            {
                "data": [_model_body(i, config) for i in page],
                "has_more": has_more,
                "first_id": page[0] if page else None,
                "last_id": page[-1] if page else None,
            }
        )

    @endpoint(STYLE)
    async def retrieve_model(exchange: Exchange) -> web.StreamResponse:
        _check_headers(exchange, config)
        engine.resolve(chosen_scenario(exchange.request))  # /s/NAME must exist
        model_id = exchange.request.match_info["model_id"]
        if model_id not in config.models or not config.models.accepts(model_id):
            raise errors.model_not_found(model_id)
        return exchange.json(_model_body(model_id, config))

    return list_models, retrieve_model
