"""OpenAI's error body and the wording of request-level failures."""

from __future__ import annotations

import json
from typing import Any

from mockgw.errors import ApiError, BodyProblem, ErrorKind
from mockgw.protocols.sse import data_event

# OpenAI has fewer error types than Anthropic: most client errors share one.
_TYPES: dict[ErrorKind, str] = {
    "invalid_request_error": "invalid_request_error",
    "authentication_error": "invalid_request_error",
    "permission_error": "invalid_request_error",
    "not_found_error": "invalid_request_error",
    "request_too_large": "invalid_request_error",
    "rate_limit_error": "requests",
    "billing_error": "insufficient_quota",
    "api_error": "server_error",
    "timeout_error": "server_error",
    "overloaded_error": "server_error",
}

NO_KEY_MESSAGE = (
    "You didn't provide an API key. You need to provide your API key in an Authorization "
    "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password "
    "field (with blank username) if you're accessing the API from your browser and are "
    "prompted for a username and password. You can obtain an API key from "
    "https://platform.openai.com/account/api-keys."
)

_NOT_JSON_MESSAGE = (
    "We could not parse the JSON body of your request. (HINT: This likely means you "
    "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but "
    "what was sent was not valid JSON. If you have trouble figuring out how to fix this, "
    "please contact us through our help center at help.openai.com.)"
)


def error_body(error: ApiError) -> dict[str, Any]:
    return {
        "error": {
            "message": error.message,
            "type": error.wire_type or _TYPES[error.kind],
            "param": error.param,
            "code": error.code,
        }
    }


def error_event(error: ApiError) -> bytes:
    """A mid-stream failure as OpenAI sends it: any chunk with an ``error`` key aborts
    the SDK's stream with ``APIError``; there is no ``[DONE]`` after it."""
    return data_event(json.dumps(error_body(error), separators=(",", ":")))


def missing_key() -> ApiError:
    return ApiError(401, "authentication_error", NO_KEY_MESSAGE)


def invalid_key(redacted: str) -> ApiError:
    return ApiError(
        401,
        "authentication_error",
        f"Incorrect API key provided: {redacted}. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        code="invalid_api_key",
    )


def model_not_found(model: str) -> ApiError:
    return ApiError(
        404,
        "not_found_error",
        f"The model `{model}` does not exist or you do not have access to it.",
        code="model_not_found",
    )


def not_a_chat_model() -> ApiError:
    """An embedding model on chat: the real API's 404, which names the endpoint."""
    return ApiError(
        404,
        "not_found_error",
        "This is not a chat model and thus not supported in the v1/chat/completions "
        "endpoint. Did you mean to use v1/completions?",
        param="model",
    )


def body_error(problem: BodyProblem) -> ApiError:
    if problem.kind == "too_large":
        return ApiError(
            413,
            "request_too_large",
            f"Request body too large: {problem.detail}. Reduce the size of the request.",
            code="request_too_large",
        )
    if problem.kind == "content_type":
        return ApiError(
            400,
            "invalid_request_error",
            f"Invalid Content-Type header ({problem.detail}), expected application/json.",
            code="invalid_content_type",
        )
    if problem.kind == "undecodable":
        # Wording guessed (docs/deviations.md): the API's edge decodes bodies before it.
        return ApiError(
            400,
            "invalid_request_error",
            f"The request body could not be decoded: {problem.detail}.",
            code="invalid_body",
        )
    if problem.kind == "timeout":
        # Wording guessed (docs/deviations.md): the API's edge times slow bodies out.
        return ApiError(
            408, "timeout_error", f"Request timed out: {problem.detail}.", code="request_timeout"
        )
    if problem.kind == "not_object":
        return ApiError(
            400,
            "invalid_request_error",
            f"Invalid type for 'body': expected an object, but got {_article(problem.detail)} "
            "instead.",
            code="invalid_type",
        )
    return ApiError(400, "invalid_request_error", _NOT_JSON_MESSAGE)


def _article(python_type: str) -> str:
    names = {
        "list": "an array",
        "str": "a string",
        "int": "an integer",
        "float": "a number",
        "bool": "a boolean",
        "NoneType": "null",
    }
    return names.get(python_type, "a value")


def invalid_url(method: str, path: str) -> ApiError:
    return ApiError(404, "not_found_error", f"Invalid URL ({method} {path})")
