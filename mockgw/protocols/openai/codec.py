"""aiohttp handlers for the OpenAI-compatible endpoints."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from mockgw.config import ServerConfig
from mockgw.core.keys import bearer_token, key_accepted, redact
from mockgw.protocols.openai import errors
from mockgw.protocols.openai.decode import to_chat_request
from mockgw.protocols.openai.encode import (
    ResponseMeta,
    completion_body,
    stream_events,
)
from mockgw.protocols.openai.validate import validate_chat_request
from mockgw.scenarios.engine import Engine
from mockgw.web.body import BodyProblem, read_json_object
from mockgw.web.frame import Exchange, RequestHandler, WireStyle, endpoint
from mockgw.web.pipeline import deliver, plan_answer, present
from mockgw.web.selection import chosen_scenario

# Plausible, constant rate-limit headers: clients that log or parse them find the
# names and formats the real API uses (real limiting arrives with failure scripting).
_RATE_LIMIT_HEADERS = {
    "x-ratelimit-limit-requests": "10000",
    "x-ratelimit-remaining-requests": "9999",
    "x-ratelimit-reset-requests": "6ms",
    "x-ratelimit-limit-tokens": "30000000",
    "x-ratelimit-remaining-tokens": "29999000",
    "x-ratelimit-reset-tokens": "2ms",
}


def _common_headers(elapsed_ms: int) -> Mapping[str, str]:
    return {
        **_RATE_LIMIT_HEADERS,
        "openai-processing-ms": str(elapsed_ms),
        "openai-version": "2020-10-01",
    }


STYLE = WireStyle(
    name="openai",
    request_id_header="x-request-id",
    request_id_prefix="req_",
    error_body=lambda error, _request_id: errors.error_body(error),
    common_headers=_common_headers,
)


def check_auth(exchange: Exchange, config: ServerConfig) -> None:
    key = bearer_token(exchange.request.headers)
    if key is None:
        raise errors.missing_key()
    if not key_accepted(key, config.api_keys):
        raise errors.invalid_key(redact(key))


def routes(config: ServerConfig, engine: Engine) -> list[web.RouteDef]:
    @endpoint(STYLE)
    async def chat_completions(exchange: Exchange) -> web.StreamResponse:
        check_auth(exchange, config)
        try:
            body = await read_json_object(exchange.request, limit=config.max_body_bytes)
        except BodyProblem as problem:
            raise errors.body_error(problem) from None
        exchange.body = body
        _, unknown = validate_chat_request(body, strict=config.strict)
        exchange.warn_unknown_fields(unknown)
        if not config.models.accepts(body["model"]):
            raise errors.model_not_found(body["model"])
        chat = to_chat_request(body)
        plan = await plan_answer(exchange, engine, chat, body, max_wait=config.max_wait_seconds)
        meta = ResponseMeta.new(chat.model, int(time.time()))
        completion = plan.completion
        return await deliver(
            exchange,
            plan,
            stream=chat.stream,
            body=lambda: completion_body(present(completion), meta),
            events=lambda: stream_events(
                present(completion), meta, include_usage=chat.include_usage
            ),
            error_event=errors.error_event,
            max_wait=config.max_wait_seconds,
        )

    return [web.post("/v1/chat/completions", chat_completions)]


def model_list_body(config: ServerConfig) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            _model_body(info.id, info.created_unix, info.owned_by) for info in config.models.all()
        ],
    }


def _model_body(model_id: str, created: int, owned_by: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": created, "owned_by": owned_by}


def model_handlers(config: ServerConfig, engine: Engine) -> tuple[RequestHandler, RequestHandler]:
    """``GET /v1/models`` and ``GET /v1/models/{id}`` in OpenAI's shape."""

    @endpoint(STYLE)
    async def list_models(exchange: Exchange) -> web.StreamResponse:
        check_auth(exchange, config)
        engine.resolve(chosen_scenario(exchange.request))  # /s/NAME must exist
        return exchange.json(model_list_body(config))

    @endpoint(STYLE)
    async def retrieve_model(exchange: Exchange) -> web.StreamResponse:
        check_auth(exchange, config)
        engine.resolve(chosen_scenario(exchange.request))  # /s/NAME must exist
        model_id = exchange.request.match_info["model_id"]
        info = config.models.get(model_id)
        if info is None or not config.models.accepts(model_id):
            raise errors.model_not_found(model_id)
        return exchange.json(_model_body(info.id, info.created_unix, info.owned_by))

    return list_models, retrieve_model
