"""Anthropic's error body: what the SDK reads to pick its exception class."""

from __future__ import annotations

import anthropic
import httpx2 as httpx
import pytest

from mockgw.core.failures import ScriptedError
from mockgw.errors import ApiError, BodyProblem
from mockgw.protocols.anthropic.errors import body_error, error_body
from mockgw.protocols.anthropic.failures import PRESETS
from mockgw.protocols.presets import scripted_api_error


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


# Each catalogue name that carries an error_code, and the class anthropic 2.16 raises for it
# (by name: CompactionUnavailableError is not exported at the package's top level).
CODED_PRESETS = {
    "ramp_limit_exceeded": "RampLimitExceededError",
    "enforced_spend_limit_reached": "EnforcedSpendLimitReachedError",
    "request_body_too_large_after_decoding": "RequestBodyTooLargeAfterDecodingError",
    "compaction_unavailable": "CompactionUnavailableError",
}


@pytest.mark.parametrize("name", sorted(CODED_PRESETS))
def test_a_coded_preset_raises_its_own_class(name: str) -> None:
    error = scripted_api_error(PRESETS, ScriptedError(preset=name), model="claude-haiku-4-5")
    assert error.error_code == name
    assert type(_raised(error)).__name__ == CODED_PRESETS[name]


def _retried(error: ApiError) -> bool:
    """Whether anthropic's client would retry ``error`` (its own decision, on the headers)."""
    client = anthropic.Anthropic(api_key="sk-test", base_url="http://mockgw.invalid")
    request = httpx.Request("POST", "http://mockgw.invalid/v1/messages")
    response = httpx.Response(
        error.status, json=error_body(error, "req_1"), headers=error.headers, request=request
    )
    return client._should_retry(response)


def test_only_the_passing_refusals_are_retried() -> None:
    def retried(name: str) -> bool:
        preset = ScriptedError(preset=name)
        return _retried(scripted_api_error(PRESETS, preset, model="claude-haiku-4-5"))

    # A 429 is retried unless the server says otherwise: a spend limit must say so.
    assert not retried("enforced_spend_limit_reached")
    assert not retried("request_body_too_large_after_decoding")
    assert retried("ramp_limit_exceeded")
    assert retried("compaction_unavailable")


def test_a_body_too_large_only_once_decoded_has_its_own_code() -> None:
    decoded = body_error(BodyProblem("too_large", "more", after_decoding=True))
    assert type(_raised(decoded)).__name__ == "RequestBodyTooLargeAfterDecodingError"
    # Too large as sent stays the plain 413 class.
    assert type(_raised(body_error(BodyProblem("too_large", "more")))) is (
        anthropic.ContentTooLargeError
    )
