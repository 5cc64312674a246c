"""Anthropic's error body: what the SDK reads to pick its exception class."""

from __future__ import annotations

import anthropic
import httpx2 as httpx

from mockgw.errors import ApiError
from mockgw.protocols.anthropic.errors import error_body


def _raised(error: ApiError) -> anthropic.APIStatusError:
    """The exception anthropic's client builds from ``error`` as mockgw sends it (the
    SDK's own response-to-exception step, without a server in between)."""
    client = anthropic.Anthropic(api_key="sk-test", base_url="http://mockgw.invalid")
    request = httpx.Request("POST", "http://mockgw.invalid/v1/messages")
    response = httpx.Response(error.status, json=error_body(error, "req_1"), request=request)
    return client._make_status_error_from_response(response)


def test_a_plain_error_has_no_details() -> None:
    body = error_body(ApiError(400, "invalid_request_error", "bad"), "req_1")
    assert body == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "bad"},
        "request_id": "req_1",
    }


def test_an_error_code_goes_in_details_and_picks_the_sdk_class() -> None:
    error = ApiError(404, "not_found_error", "no thread", error_code="thread_not_found")
    assert error_body(error, "req_1")["error"]["details"] == {"error_code": "thread_not_found"}
    assert type(_raised(error)).__name__ == "ThreadNotFoundError"
    # Without the code the same status is the SDK's generic class.
    assert type(_raised(ApiError(404, "not_found_error", "no thread"))) is anthropic.NotFoundError
