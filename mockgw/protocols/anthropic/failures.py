"""How Anthropic words a scenario's failures: its error catalogue and rate-limit refusals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from mockgw.core.failures import refusal_headers
from mockgw.core.ratelimit import Admission, BucketState
from mockgw.errors import ApiError
from mockgw.protocols.anthropic.errors import DECODED_TOO_LARGE
from mockgw.protocols.presets import FINAL, RETRY, RETRYABLE, WirePreset

# The thread errors' sentences, from the anthropic 2.16 SDK's error docstrings
# (types/thread_*_error.py); the fingerprint one gets the differing fields appended.
_REPLAY = 'replay the full conversation with `thread: {"type": "create"}`'
THREAD_NOT_FOUND = (
    "No usable Thread state was found for `previous_message_id`. Replay the full "
    'conversation with `thread: {"type": "create"}`.'
)
THREAD_ALREADY_CONTINUED = (
    "The response that `previous_message_id` names has already been continued, and each "
    "response can be continued only once. Continue from the Thread's most recent response `id`."
)
THREAD_CONTINUE_IN_FLIGHT = (
    "Another request is still continuing from the same `previous_message_id`. Wait for it to "
    f"complete and continue from its response `id`, or {_REPLAY}."
)
THREAD_FINGERPRINT_MISMATCH = (
    "A field that must stay the same across a Thread's turns differs from the value stored "
    f"with the Thread. Send the stored values, or {_REPLAY} to change them."
)
THREAD_UNSUPPORTED_REQUEST = (
    "The request combines `thread` with a request field or an organization setting that "
    "Threads do not support. Send the full conversation without `thread`, or change that field."
)


def _moment(seconds: float) -> str:
    """Anthropic's reset format: an RFC 3339 instant."""
    moment = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def limit_headers(buckets: Sequence[BucketState]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for bucket in buckets:
        headers[f"anthropic-ratelimit-{bucket.name}-limit"] = str(bucket.limit)
        headers[f"anthropic-ratelimit-{bucket.name}-remaining"] = str(bucket.remaining)
        headers[f"anthropic-ratelimit-{bucket.name}-reset"] = _moment(bucket.reset_seconds)
    return headers


def exhausted_limit_headers(retry_after: float) -> dict[str, str]:
    """The rate-limit headers of a scripted 429: both limits used up."""
    stamp = _moment(retry_after)
    return {
        "anthropic-ratelimit-requests-limit": "50",
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": stamp,
        "anthropic-ratelimit-tokens-limit": "40000",
        "anthropic-ratelimit-tokens-remaining": "0",
        "anthropic-ratelimit-tokens-reset": stamp,
    }


# ``model`` is in Codec.rate_limited's signature (bound as a staticmethod); Anthropic's
# wording never names it.
def rate_limited(refusal: Admission, *, model: str) -> ApiError:  # noqa: ARG001
    """A refusal by a real bucket, with its real numbers."""
    what = "requests" if refusal.limited_by in (None, "requests") else "tokens"
    if refusal.too_large:
        message = (
            f"This request would use {refusal.requested} {what}, more than the rate limit "
            f"for your organization of {refusal.limit} {what} per minute allows. Please "
            "reduce the prompt length or the maximum tokens requested."
        )
    else:
        message = (
            f"This request would exceed the rate limit for your organization of "
            f"{refusal.limit} {what} per minute. For details, refer to: "
            "https://docs.claude.com/en/api/rate-limits. You can see the response headers "
            "for current usage. Please reduce the prompt length or the maximum tokens "
            "requested, or try again later."
        )
    headers = {**limit_headers(refusal.buckets), **refusal_headers(refusal)}
    return ApiError(429, "rate_limit_error", message, headers=headers)


PRESETS: dict[str, WirePreset] = {
    "rate_limit": WirePreset(
        429,
        "rate_limit_error",
        "This request would exceed the rate limit for your organization of 50 requests "
        "per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. "
        "You can see the response headers for current usage. Please reduce the prompt "
        "length or the maximum tokens requested, or try again later. You may also "
        "contact sales at https://www.anthropic.com/contact-sales to discuss your "
        "options for a rate limit increase.",
        headers=RETRY,
        timed_headers=exhausted_limit_headers,
    ),
    "overloaded": WirePreset(
        529,
        "overloaded_error",
        "Overloaded",
        headers=RETRYABLE,
    ),
    "server_error": WirePreset(
        500,
        "api_error",
        "Internal server error",
        headers=RETRYABLE,
    ),
    "bad_gateway": WirePreset(
        502,
        "api_error",
        "Bad gateway",
    ),
    "unavailable": WirePreset(
        503,
        "api_error",
        "Service unavailable",
    ),
    "gateway_timeout": WirePreset(
        504,
        "timeout_error",
        "Request timed out",
    ),
    "request_timeout": WirePreset(
        408,
        "timeout_error",
        "Request timed out",
    ),
    "authentication": WirePreset(
        401,
        "authentication_error",
        "invalid x-api-key",
        headers=FINAL,
    ),
    "permission": WirePreset(
        403,
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
        headers=FINAL,
    ),
    "not_found": WirePreset(
        404,
        "not_found_error",
        "model: {model}",
        headers=FINAL,
    ),
    "request_too_large": WirePreset(
        413,
        "request_too_large",
        "Request exceeds the maximum allowed number of bytes.",
        headers=FINAL,
    ),
    "context_length_exceeded": WirePreset(
        400,
        "invalid_request_error",
        "prompt is too long: 215473 tokens > 200000 maximum",
        headers=FINAL,
    ),
    "insufficient_quota": WirePreset(
        400,
        "billing_error",
        "Your credit balance is too low to access the Anthropic API. Please go to Plans "
        "& Billing to upgrade or purchase credits.",
        type="invalid_request_error",
        headers=FINAL,
    ),
    "billing": WirePreset(
        402,
        "billing_error",
        "Your account has an outstanding balance. Please visit Plans & Billing.",
        headers=FINAL,
    ),
    "content_filter": WirePreset(
        400,
        "invalid_request_error",
        "Output blocked by content filtering policy",
        headers=FINAL,
    ),
    # Refusals anthropic >= 2.14 raises as their own classes, chosen by (status,
    # details.error_code); the SDK retries on status and x-should-retry alone, so each
    # says whether a retry can help. Wordings guessed (docs/deviations.md).
    "ramp_limit_exceeded": WirePreset(
        429,
        "rate_limit_error",
        "This request would exceed your organization's allowed rate of usage increase. "
        "Please ramp up your traffic gradually and try again later.",
        error_code="ramp_limit_exceeded",
        headers=RETRY,
    ),
    "enforced_spend_limit_reached": WirePreset(
        429,
        "rate_limit_error",
        "You have reached your specified API usage limits. You will regain access when "
        "the limit resets, or raise it in the Console.",
        error_code="enforced_spend_limit_reached",
        # Retrying cannot lift a spend limit; without this the SDK retries every 429.
        headers=FINAL,
    ),
    "request_body_too_large_after_decoding": WirePreset(
        413,
        "request_too_large",
        DECODED_TOO_LARGE,
        error_code="request_body_too_large_after_decoding",
        headers=FINAL,
    ),
    "compaction_unavailable": WirePreset(
        529,
        "overloaded_error",
        "Compaction is temporarily unavailable. Please try again later.",
        error_code="compaction_unavailable",
        headers=RETRYABLE,
    ),
    # --- server-held conversations (message threads): wording of the SDK's docstrings ---
    "thread_not_found": WirePreset(
        404,
        "not_found_error",
        THREAD_NOT_FOUND,
        error_code="thread_not_found",
        headers=FINAL,
    ),
    "thread_already_continued": WirePreset(
        400,
        "invalid_request_error",
        THREAD_ALREADY_CONTINUED,
        error_code="thread_already_continued",
        headers=FINAL,
    ),
    "thread_continue_in_flight": WirePreset(
        400,
        "invalid_request_error",
        THREAD_CONTINUE_IN_FLIGHT,
        error_code="thread_continue_in_flight",
        headers=FINAL,
    ),
    "thread_fingerprint_mismatch": WirePreset(
        400,
        "invalid_request_error",
        THREAD_FINGERPRINT_MISMATCH,
        error_code="thread_fingerprint_mismatch",
        headers=FINAL,
    ),
    "thread_unsupported_request": WirePreset(
        400,
        "invalid_request_error",
        THREAD_UNSUPPORTED_REQUEST,
        error_code="thread_unsupported_request",
        headers=FINAL,
    ),
}
