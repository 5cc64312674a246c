"""Anthropic's error body and the wording of request-level failures."""

from __future__ import annotations

import json
from typing import Any

from mockgw.errors import ApiError, BodyProblem
from mockgw.protocols.sse import named_event

# The kinds in mockgw.errors are Anthropic's own error types, except the edge's 413.
_TYPE_OVERRIDES = {"request_too_large": "request_too_large"}


def error_body(error: ApiError, request_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": error.wire_type or _TYPE_OVERRIDES.get(error.kind, error.kind),
        "message": error.message,
    }
    if error.error_code is not None:
        body["details"] = {"error_code": error.error_code}
    return {"type": "error", "error": body, "request_id": request_id}


def error_event(error: ApiError, request_id: str) -> bytes:
    """``event: error`` after a 200: the SDKs raise it as an API error."""
    return named_event("error", json.dumps(error_body(error, request_id), separators=(",", ":")))


def missing_key() -> ApiError:
    return ApiError(401, "authentication_error", "x-api-key header is required")


def invalid_key() -> ApiError:
    return ApiError(401, "authentication_error", "invalid x-api-key")


def model_not_found(model: str) -> ApiError:
    return ApiError(404, "not_found_error", f"model: {model}")


# Wording guessed (docs/deviations.md); the error code is the SDK's.
DECODED_TOO_LARGE = "Request exceeds the maximum allowed number of bytes after decoding."


def body_error(problem: BodyProblem) -> ApiError:
    if problem.kind == "too_large" and problem.after_decoding:
        # A small compressed body that inflates past the limit: anthropic names this
        # case with its own code (RequestBodyTooLargeAfterDecodingError).
        return ApiError(
            413,
            "request_too_large",
            DECODED_TOO_LARGE,
            error_code="request_body_too_large_after_decoding",
        )
    if problem.kind == "too_large":
        return ApiError(
            413, "request_too_large", "Request exceeds the maximum allowed number of bytes."
        )
    if problem.kind == "content_type":
        return ApiError(
            400,
            "invalid_request_error",
            f"Invalid request: Content-Type must be application/json, got {problem.detail}",
        )
    if problem.kind == "undecodable":
        # Wording guessed (docs/deviations.md).
        return ApiError(
            400,
            "invalid_request_error",
            f"The request body could not be decoded: {problem.detail}.",
        )
    if problem.kind == "timeout":
        # Wording guessed (docs/deviations.md).
        return ApiError(408, "timeout_error", f"Request timed out: {problem.detail}.")
    if problem.kind == "not_object":
        return ApiError(
            400,
            "invalid_request_error",
            "Input should be a valid dictionary or object to extract fields from",
        )
    return ApiError(
        400, "invalid_request_error", f"The request body is not valid JSON: {problem.detail}"
    )


def not_found() -> ApiError:
    return ApiError(404, "not_found_error", "Not Found")
