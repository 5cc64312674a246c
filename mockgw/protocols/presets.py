"""A codec's error catalogue: how its provider words each scripted error.

Every codec keeps a table with an entry for each name in
:data:`mockgw.core.failures.PRESETS`; :func:`scripted_api_error` applies a scenario's
overrides (status, message, type, headers, retry hints) to the entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from mockgw.core.failures import ScriptedError
from mockgw.errors import ApiError, ErrorKind

# Retry hints the real APIs send with each kind of error (the SDKs obey them).
RETRY = {"retry-after": "1", "retry-after-ms": "1000", "x-should-retry": "true"}
RETRYABLE = {"x-should-retry": "true"}
FINAL = {"x-should-retry": "false"}


@dataclass(frozen=True, slots=True)
class WirePreset:
    status: int
    kind: ErrorKind
    message: str  # ``{model}`` is replaced by the requested model
    type: str | None = None  # the wire ``type`` when it is not the codec's default for kind
    code: str | None = None
    param: str | None = None
    error_code: str | None = None  # Anthropic's error.details.error_code
    headers: Mapping[str, str] = field(default_factory=dict)
    # Headers that depend on the retry delay, such as exhausted rate-limit countdowns.
    timed_headers: Callable[[float], Mapping[str, str]] | None = None


def scripted_api_error(
    table: Mapping[str, WirePreset], spec: ScriptedError, *, model: str
) -> ApiError:
    """``spec`` as the provider of ``table`` sends it."""
    name = spec.catalogue_entry
    preset = table.get(name) if name is not None else None
    if preset is None:
        status = spec.status or 500
        kind: ErrorKind = "invalid_request_error" if status < 500 else "api_error"
        return ApiError(
            status,
            kind,
            spec.message or f"Scripted error with status {status}.",
            headers=spec.extra_headers(),
            wire_type=spec.type,
        )
    base = dict(preset.headers)
    if preset.timed_headers is not None:
        base.update(preset.timed_headers(spec.retry_after or 1.0))
    message = spec.message if spec.message is not None else preset.message.replace("{model}", model)
    return ApiError(
        spec.status or preset.status,
        preset.kind,
        message,
        param=preset.param,
        code=preset.code,
        headers=spec.extra_headers(base),
        wire_type=spec.type or preset.type,
        error_code=preset.error_code,
    )
