"""How OpenAI words a scenario's failures: its error catalogue and rate-limit refusals."""

from __future__ import annotations

from collections.abc import Sequence

from mockgw.core.failures import refusal_headers
from mockgw.core.ratelimit import Admission, BucketState
from mockgw.errors import ApiError
from mockgw.protocols.presets import FINAL, RETRY, RETRYABLE, WirePreset


def duration(seconds: float) -> str:
    """OpenAI's reset format: ``12ms``, ``6s``, ``1m0s``."""
    if seconds < 1:
        return f"{max(0, round(seconds * 1000))}ms"
    whole = int(seconds)
    minutes, secs = divmod(whole, 60)
    fraction = seconds - whole
    tail = f"{secs + fraction:.3g}s" if fraction and not minutes else f"{secs}s"
    return f"{minutes}m{tail}" if minutes else tail


def limit_headers(buckets: Sequence[BucketState]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for bucket in buckets:
        headers[f"x-ratelimit-limit-{bucket.name}"] = str(bucket.limit)
        headers[f"x-ratelimit-remaining-{bucket.name}"] = str(bucket.remaining)
        headers[f"x-ratelimit-reset-{bucket.name}"] = duration(bucket.reset_seconds)
    return headers


def exhausted_limit_headers(retry_after: float) -> dict[str, str]:
    """The rate-limit headers of a scripted 429: both limits used up."""
    reset = f"{retry_after:g}s"
    return {
        "x-ratelimit-limit-requests": "60",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": reset,
        "x-ratelimit-limit-tokens": "30000",
        "x-ratelimit-remaining-tokens": "0",
        "x-ratelimit-reset-tokens": reset,
    }


def rate_limited(refusal: Admission, *, model: str) -> ApiError:
    """A refusal by a real bucket, with its real numbers."""
    unit = refusal.limited_by or "requests"
    short = "RPM" if unit == "requests" else "TPM"
    limit, requested = refusal.limit, refusal.requested
    if refusal.too_large:
        message = (
            f"Request too large for {model} in organization org-mockgw on {unit} per min "
            f"({short}): Limit {limit}, Requested {requested}. The input or output tokens "
            "must be reduced in order to run successfully. Visit "
            "https://platform.openai.com/account/rate-limits to learn more."
        )
    else:
        bucket = next(b for b in refusal.buckets if b.name == unit)
        used = max(0, limit - bucket.remaining)
        message = (
            f"Rate limit reached for {model} in organization org-mockgw on {unit} per min "
            f"({short}): Limit {limit}, Used {used}, Requested {requested}. Please try "
            f"again in {duration(refusal.retry_after)}. Visit "
            "https://platform.openai.com/account/rate-limits to learn more."
        )
    headers = {**limit_headers(refusal.buckets), **refusal_headers(refusal)}
    return ApiError(
        429,
        "rate_limit_error",
        message,
        code="rate_limit_exceeded",
        headers=headers,
        wire_type=unit,
    )


PRESETS: dict[str, WirePreset] = {
    "rate_limit": WirePreset(
        429,
        "rate_limit_error",
        "Rate limit reached for {model} in organization org-mockgw on requests per min "
        "(RPM): Limit 60, Used 60, Requested 1. Please try again in 1s. Visit "
        "https://platform.openai.com/account/rate-limits to learn more.",
        type="requests",
        code="rate_limit_exceeded",
        headers=RETRY,
        timed_headers=exhausted_limit_headers,
    ),
    "overloaded": WirePreset(
        503,
        "overloaded_error",
        "The server is overloaded or not ready yet.",
        type="server_error",
        headers=RETRYABLE,
    ),
    "server_error": WirePreset(
        500,
        "api_error",
        "The server had an error while processing your request. Sorry about that!",
        type="server_error",
        headers=RETRYABLE,
    ),
    "bad_gateway": WirePreset(
        502,
        "api_error",
        "Bad gateway.",
        type="server_error",
    ),
    "unavailable": WirePreset(
        503,
        "api_error",
        "The service is temporarily unavailable. Please try again later.",
        type="server_error",
    ),
    "gateway_timeout": WirePreset(
        504,
        "timeout_error",
        "Gateway timeout. The request took too long to complete.",
        type="server_error",
    ),
    "request_timeout": WirePreset(
        408,
        "timeout_error",
        "Request timed out.",
        type="invalid_request_error",
    ),
    "authentication": WirePreset(
        401,
        "authentication_error",
        "Incorrect API key provided: sk-****. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        code="invalid_api_key",
        headers=FINAL,
    ),
    "permission": WirePreset(
        403,
        "permission_error",
        "You are not allowed to sample from this model",
        headers=FINAL,
    ),
    "not_found": WirePreset(
        404,
        "not_found_error",
        "The model `{model}` does not exist or you do not have access to it.",
        code="model_not_found",
        headers=FINAL,
    ),
    "request_too_large": WirePreset(
        413,
        "request_too_large",
        "Request too large for {model}. Reduce the size of the request.",
        code="request_too_large",
        headers=FINAL,
    ),
    "context_length_exceeded": WirePreset(
        400,
        "invalid_request_error",
        "This model's maximum context length is 128000 tokens. However, your messages "
        "resulted in 130532 tokens. Please reduce the length of the messages.",
        code="context_length_exceeded",
        param="messages",
        headers=FINAL,
    ),
    "insufficient_quota": WirePreset(
        429,
        "billing_error",
        "You exceeded your current quota, please check your plan and billing details. "
        "For more information on this error, read the docs: "
        "https://platform.openai.com/docs/guides/error-codes/api-errors.",
        type="insufficient_quota",
        code="insufficient_quota",
        headers=FINAL,
    ),
    "billing": WirePreset(
        402,
        "billing_error",
        "Payment required: your account has an unpaid invoice.",
        type="billing_error",
        headers=FINAL,
    ),
    "content_filter": WirePreset(
        400,
        "invalid_request_error",
        "Your request was rejected as a result of our safety system.",
        code="content_policy_violation",
        param="messages",
        headers=FINAL,
    ),
    # --- server-held conversations (previous_response_id) -------------------------------
    # OpenAI's Responses API keeps conversations too, with one real error for a lost one;
    # it lets a response be continued many times and has no fingerprint, so the other
    # names get mockgw's own codes (mockgw_...) rather than a code OpenAI never sends.
    "thread_not_found": WirePreset(
        400,
        "invalid_request_error",
        "Previous response not found.",
        code="previous_response_not_found",
        param="previous_response_id",
        headers=FINAL,
    ),
    "thread_already_continued": WirePreset(
        400,
        "invalid_request_error",
        "Previous response has already been continued; continue from the latest response.",
        code="mockgw_previous_response_continued",
        param="previous_response_id",
        headers=FINAL,
    ),
    "thread_continue_in_flight": WirePreset(
        400,
        "invalid_request_error",
        "Another request is still continuing from this previous response; wait for it.",
        code="mockgw_previous_response_in_flight",
        param="previous_response_id",
        headers=FINAL,
    ),
    "thread_fingerprint_mismatch": WirePreset(
        400,
        "invalid_request_error",
        "A field differs from the value stored with the previous response.",
        code="mockgw_previous_response_mismatch",
        param="previous_response_id",
        headers=FINAL,
    ),
    "thread_unsupported_request": WirePreset(
        400,
        "invalid_request_error",
        "This request cannot be combined with previous_response_id.",
        code="mockgw_previous_response_unsupported",
        param="previous_response_id",
        headers=FINAL,
    ),
}

# Anthropic's error_code refusals have no OpenAI counterpart of their own: each is the nearest
# entry OpenAI does send on such a day, word for word.
PRESETS.update(
    {
        "ramp_limit_exceeded": PRESETS["rate_limit"],  # no ramp limit: a plain, passing 429
        "enforced_spend_limit_reached": PRESETS["insufficient_quota"],  # a spent budget
        "request_body_too_large_after_decoding": PRESETS["request_too_large"],
        "compaction_unavailable": PRESETS["overloaded"],  # no compaction: the overload 503
    }
)
