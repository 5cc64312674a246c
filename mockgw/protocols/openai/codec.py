"""The OpenAI Chat Completions wire format, and the OpenAI-shaped model endpoints."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from typing_extensions import override

from mockgw.core.chat import Completion
from mockgw.core.keys import bearer_token
from mockgw.core.models import ModelInfo
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
from mockgw.protocols.models import RetrieveModel
from mockgw.protocols.openai import errors, failures
from mockgw.protocols.openai.decode import to_chat_request
from mockgw.protocols.openai.encode import ResponseMeta, completion_body, stream_events
from mockgw.protocols.openai.validate import validate_chat_request

# Plausible, constant rate-limit headers: clients that log or parse them find the
# names and formats the real API uses (a scenario's ``limits`` replace them).
_RATE_LIMIT_HEADERS = {
    "x-ratelimit-limit-requests": "10000",
    "x-ratelimit-remaining-requests": "9999",
    "x-ratelimit-reset-requests": "6ms",
    "x-ratelimit-limit-tokens": "30000000",
    "x-ratelimit-remaining-tokens": "29999000",
    "x-ratelimit-reset-tokens": "2ms",
}


class ChatCompletions(ChatOperation[None]):
    """``POST /v1/chat/completions``."""

    def decode(self, body: dict[str, Any], *, strict: bool) -> Decoded[None]:
        _, unknown = validate_chat_request(body, strict=strict)
        return Decoded(to_chat_request(body), body, None, unknown)

    def body(self, completion: Completion, decoded: Decoded[None]) -> dict[str, Any]:
        return completion_body(completion, _meta(decoded))

    def events(self, completion: Completion, decoded: Decoded[None]) -> list[bytes]:
        meta = _meta(decoded)
        return stream_events(completion, meta, include_usage=decoded.chat.include_usage)


def _meta(decoded: Decoded[None]) -> ResponseMeta:
    # Validation has approved the body: stream_options, when present, is an object.
    options = decoded.body.get("stream_options") or {}
    return ResponseMeta.new(
        decoded.chat.model,
        int(time.time()),
        profile=decoded.profile,
        requested_tier=decoded.body.get("service_tier"),
        obfuscation=options.get("include_obfuscation") is not False,
    )


def _model_body(info: ModelInfo) -> dict[str, Any]:
    # Gateways list the Claude models they front as owned by Anthropic.
    owner = "anthropic" if info.id.startswith("claude") else "openai"
    if info.id.startswith("voyage"):
        owner = "voyageai"
    return {"id": info.id, "object": "model", "created": info.created_unix, "owned_by": owner}


class ListModels(JsonOperation):
    """``GET /v1/models``."""

    def answer(self, call: Call) -> dict[str, Any]:
        return {"object": "list", "data": [_model_body(info) for info in call.models.all()]}


class OpenAICodec(Codec):
    name = "openai"
    request_id_header = "x-request-id"
    request_id_prefix = "req_"

    def routes(self) -> Sequence[Route]:
        return (
            Route("POST", "/v1/chat/completions", ChatCompletions()),
            Route("GET", "/v1/models", ListModels()),
            Route(
                "GET", "/v1/models/{model_id}", RetrieveModel(_model_body, errors.model_not_found)
            ),
        )

    def credentials(self, headers: Headers) -> str | None:
        return bearer_token(headers)

    missing_key = staticmethod(errors.missing_key)
    invalid_key = staticmethod(errors.invalid_key)
    body_error = staticmethod(errors.body_error)
    model_not_found = staticmethod(errors.model_not_found)
    route_not_found = staticmethod(errors.invalid_url)
    limit_headers = staticmethod(failures.limit_headers)
    rate_limited = staticmethod(failures.rate_limited)
    presets = failures.PRESETS

    @override
    def unsupported_model(self, model: str) -> ApiError:
        return errors.not_a_chat_model()

    @override
    def error_body(self, error: ApiError, request_id: str) -> dict[str, Any]:
        return errors.error_body(error)

    @override
    def error_event(self, error: ApiError, request_id: str) -> bytes:
        return errors.error_event(error)

    @override
    def common_headers(self, elapsed_ms: int) -> Mapping[str, str]:
        return {
            **_RATE_LIMIT_HEADERS,
            "openai-processing-ms": str(elapsed_ms),
            "openai-version": "2020-10-01",
        }
