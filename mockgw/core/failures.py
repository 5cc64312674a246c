"""The catalogue of scripted HTTP errors: each provider's status, body and headers.

A scenario names an error (``error: rate_limit``) and gets what that provider really
sends on such a day; ``status``, ``message``, ``type`` and headers can be overridden.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from mockgw.core.chat import Api
from mockgw.errors import ApiError, ErrorKind


@dataclass(frozen=True, slots=True)
class Preset:
    status: int
    kind: ErrorKind
    openai_message: str
    anthropic_message: str
    openai_type: str | None = None
    openai_code: str | None = None
    anthropic_status: int | None = None  # where Anthropic's status differs from OpenAI's
    anthropic_type: str | None = None
    openai_param: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


_RETRY = {"retry-after": "1", "retry-after-ms": "1000", "x-should-retry": "true"}

PRESETS: dict[str, Preset] = {
    "rate_limit": Preset(
        429,
        "rate_limit_error",
        "Rate limit reached for {model} in organization org-mockgw on requests per min (RPM): "
        "Limit 60, Used 60, Requested 1. Please try again in 1s. Visit "
        "https://platform.openai.com/account/rate-limits to learn more.",
        "This request would exceed the rate limit for your organization of 50 requests per "
        "minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see "
        "the response headers for current usage. Please reduce the prompt length or the maximum "
        "tokens requested, or try again later. You may also contact sales at "
        "https://www.anthropic.com/contact-sales to discuss your options for a rate limit "
        "increase.",
        openai_type="requests",
        openai_code="rate_limit_exceeded",
        headers=_RETRY,
    ),
    "overloaded": Preset(
        503,
        "overloaded_error",
        "The server is overloaded or not ready yet.",
        "Overloaded",
        openai_type="server_error",
        anthropic_status=529,
        headers={"x-should-retry": "true"},
    ),
    "server_error": Preset(
        500,
        "api_error",
        "The server had an error while processing your request. Sorry about that!",
        "Internal server error",
        openai_type="server_error",
        headers={"x-should-retry": "true"},
    ),
    "bad_gateway": Preset(
        502, "api_error", "Bad gateway.", "Bad gateway", openai_type="server_error"
    ),
    "unavailable": Preset(
        503,
        "api_error",
        "The service is temporarily unavailable. Please try again later.",
        "Service unavailable",
        openai_type="server_error",
    ),
    "gateway_timeout": Preset(
        504,
        "timeout_error",
        "Gateway timeout. The request took too long to complete.",
        "Request timed out",
        openai_type="server_error",
    ),
    "request_timeout": Preset(
        408,
        "timeout_error",
        "Request timed out.",
        "Request timed out",
        openai_type="invalid_request_error",
    ),
    "authentication": Preset(
        401,
        "authentication_error",
        "Incorrect API key provided: sk-****. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        "invalid x-api-key",
        openai_code="invalid_api_key",
        headers={"x-should-retry": "false"},
    ),
    "permission": Preset(
        403,
        "permission_error",
        "You are not allowed to sample from this model",
        "Your API key does not have permission to use the specified resource.",
        headers={"x-should-retry": "false"},
    ),
    "not_found": Preset(
        404,
        "not_found_error",
        "The model `{model}` does not exist or you do not have access to it.",
        "model: {model}",
        openai_code="model_not_found",
        headers={"x-should-retry": "false"},
    ),
    "request_too_large": Preset(
        413,
        "request_too_large",
        "Request too large for {model}. Reduce the size of the request.",
        "Request exceeds the maximum allowed number of bytes.",
        openai_code="request_too_large",
        headers={"x-should-retry": "false"},
    ),
    "context_length_exceeded": Preset(
        400,
        "invalid_request_error",
        "This model's maximum context length is 128000 tokens. However, your messages resulted "
        "in 130532 tokens. Please reduce the length of the messages.",
        "prompt is too long: 215473 tokens > 200000 maximum",
        openai_code="context_length_exceeded",
        openai_param="messages",
        headers={"x-should-retry": "false"},
    ),
    "insufficient_quota": Preset(
        429,
        "billing_error",
        "You exceeded your current quota, please check your plan and billing details. For more "
        "information on this error, read the docs: "
        "https://platform.openai.com/docs/guides/error-codes/api-errors.",
        "Your credit balance is too low to access the Anthropic API. Please go to Plans & "
        "Billing to upgrade or purchase credits.",
        openai_type="insufficient_quota",
        openai_code="insufficient_quota",
        anthropic_status=400,
        anthropic_type="invalid_request_error",
        # Retrying never helps, and the real API says so.
        headers={"x-should-retry": "false"},
    ),
    "billing": Preset(
        402,
        "billing_error",
        "Payment required: your account has an unpaid invoice.",
        "Your account has an outstanding balance. Please visit Plans & Billing.",
        openai_type="billing_error",
        headers={"x-should-retry": "false"},
    ),
    "content_filter": Preset(
        400,
        "invalid_request_error",
        "Your request was rejected as a result of our safety system.",
        "Output blocked by content filtering policy",
        openai_code="content_policy_violation",
        openai_param="messages",
        headers={"x-should-retry": "false"},
    ),
}


def retry_headers(retry_after: float) -> dict[str, str]:
    """``retry-after`` (whole seconds, as servers send it) and the SDKs' precise ``-ms``."""
    return {
        "retry-after": str(max(1, math.ceil(retry_after))),
        "retry-after-ms": f"{retry_after * 1000:g}",
    }


def exhausted_limit_headers(api: Api, retry_after: float) -> dict[str, str]:
    """The provider's rate-limit headers as they look when the limit is used up."""
    if api == "openai":
        reset = f"{retry_after:g}s"
        return {
            "x-ratelimit-limit-requests": "60",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": reset,
            "x-ratelimit-limit-tokens": "30000",
            "x-ratelimit-remaining-tokens": "0",
            "x-ratelimit-reset-tokens": reset,
        }
    moment = datetime.now(timezone.utc) + timedelta(seconds=retry_after)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "anthropic-ratelimit-requests-limit": "50",
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": stamp,
        "anthropic-ratelimit-tokens-limit": "40000",
        "anthropic-ratelimit-tokens-remaining": "0",
        "anthropic-ratelimit-tokens-reset": stamp,
    }


def _with_retry_headers(
    base: dict[str, str],
    retry_after: float | None,
    should_retry: bool | None,
    overrides: Mapping[str, str] | None,
) -> dict[str, str]:
    """``base`` plus the retry headers a scenario asked for; explicit headers win."""
    headers = dict(base)
    if retry_after is not None:
        headers.update(retry_headers(retry_after))
    if should_retry is not None:
        headers["x-should-retry"] = "true" if should_retry else "false"
    headers.update(overrides or {})
    return headers


def preset_error(
    name: str,
    api: Api,
    *,
    model: str,
    status: int | None = None,
    message: str | None = None,
    type_: str | None = None,
    headers: Mapping[str, str] | None = None,
    retry_after: float | None = None,
    should_retry: bool | None = None,
) -> ApiError:
    """The error ``name`` as ``api`` sends it, with any overrides applied."""
    preset = PRESETS[name]
    base = dict(preset.headers)
    if name == "rate_limit":
        base.update(exhausted_limit_headers(api, retry_after or 1.0))
    extra = _with_retry_headers(base, retry_after, should_retry, headers)
    if api == "openai":
        default_status, default_message = preset.status, preset.openai_message
        wire_type, code, param = preset.openai_type, preset.openai_code, preset.openai_param
    else:
        default_status = preset.anthropic_status or preset.status
        default_message = preset.anthropic_message
        wire_type, code, param = preset.anthropic_type, None, None
    return ApiError(
        status or default_status,
        preset.kind,
        message if message is not None else default_message.replace("{model}", model),
        param=param,
        code=code,
        headers=extra,
        wire_type=type_ or wire_type,
    )


def status_error(
    status: int,
    api: Api,
    *,
    model: str,
    message: str | None = None,
    type_: str | None = None,
    headers: Mapping[str, str] | None = None,
    retry_after: float | None = None,
    should_retry: bool | None = None,
) -> ApiError:
    """An error for a bare status: the catalogue entry with that status, if any."""
    by_status = {
        401: "authentication",
        402: "billing",
        403: "permission",
        404: "not_found",
        408: "request_timeout",
        413: "request_too_large",
        429: "rate_limit",
        500: "server_error",
        502: "bad_gateway",
        503: "unavailable",
        504: "gateway_timeout",
        529: "overloaded",
    }
    name = by_status.get(status)
    if name is not None:
        return preset_error(
            name,
            api,
            model=model,
            status=status,
            message=message,
            type_=type_,
            headers=headers,
            retry_after=retry_after,
            should_retry=should_retry,
        )
    kind: ErrorKind = "invalid_request_error" if status < 500 else "api_error"
    extra = _with_retry_headers({}, retry_after, should_retry, headers)
    return ApiError(
        status,
        kind,
        message or f"Scripted error with status {status}.",
        headers=extra,
        wire_type=type_,
    )
