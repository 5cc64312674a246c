"""The failures a plan can answer with, as neutral values the codec words.

The engine decides *that* a request fails and why: a scripted error, a spent rate
limit, no rule matching, an unknown scenario. Each codec decides what that looks like
on its wire (status, body, type, headers), so the same scenario fails the same way,
in each provider's own words, on every endpoint.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from mockgw.core.ratelimit import Admission

# The error catalogue a scenario names (``error: rate_limit``); every codec words each
# entry as its provider does on such a day.
PRESETS: tuple[str, ...] = (
    "rate_limit",
    "overloaded",
    "server_error",
    "bad_gateway",
    "unavailable",
    "gateway_timeout",
    "request_timeout",
    "authentication",
    "permission",
    "not_found",
    "request_too_large",
    "context_length_exceeded",
    "insufficient_quota",
    "billing",
    "content_filter",
    # Anthropic's refusals that its SDK tells apart by error.details.error_code.
    "ramp_limit_exceeded",
    "enforced_spend_limit_reached",
    "request_body_too_large_after_decoding",
    "compaction_unavailable",
    # Server-held conversations (docs/threads.md): mockgw answers these itself when a
    # continue cannot be served, and a rule may script them like any other entry.
    "thread_not_found",
    "thread_already_continued",
    "thread_continue_in_flight",
    "thread_fingerprint_mismatch",
    "thread_unsupported_request",
)

# A bare ``status:`` takes the catalogue entry with that status, when there is one.
PRESET_BY_STATUS: dict[int, str] = {
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


@dataclass(frozen=True, slots=True)
class ScriptedError:
    """An error a scenario asked for: a catalogue entry and/or a status, with overrides."""

    preset: str | None = None
    status: int | None = None  # overrides the preset's status; alone, picks the preset
    message: str | None = None
    type: str | None = None  # the provider's ``type`` string, verbatim
    headers: Mapping[str, str] = field(default_factory=dict)
    retry_after: float | None = None
    should_retry: bool | None = None

    @property
    def catalogue_entry(self) -> str | None:
        """The catalogue entry this error starts from, if any."""
        if self.preset is not None:
            return self.preset
        return PRESET_BY_STATUS.get(self.status) if self.status is not None else None

    def extra_headers(self, base: Mapping[str, str] = {}) -> dict[str, str]:
        """``base`` plus the retry headers asked for; explicit ``headers`` win."""
        headers = dict(base)
        if self.retry_after is not None:
            headers.update(retry_headers(self.retry_after))
        if self.should_retry is not None:
            headers["x-should-retry"] = "true" if self.should_retry else "false"
        headers.update(self.headers)
        return headers


@dataclass(frozen=True, slots=True)
class RateLimited:
    """A scenario's ``limits`` refused the request; the admission holds the numbers."""

    refusal: Admission


@dataclass(frozen=True, slots=True)
class NoMatch:
    """No rule of the scenario matched; ``report`` is the near-miss report."""

    scenario: str
    report: str


@dataclass(frozen=True, slots=True)
class UnknownScenario:
    """The request chose a scenario that is not loaded."""

    name: str
    known: tuple[str, ...]
    nearest: str | None = None

    @property
    def message(self) -> str:
        hint = f" Did you mean '{self.nearest}'?" if self.nearest else ""
        known = ", ".join(self.known) or "none are loaded"
        return f"mockgw: no scenario named '{self.name}'.{hint} Known scenarios: {known}."


Failure = ScriptedError | RateLimited | NoMatch | UnknownScenario


def refusal_headers(refusal: Admission) -> dict[str, str]:
    """The retry hints of a rate-limit refusal: the real wait, and whether to retry at
    all (waiting can never admit a request bigger than the bucket)."""
    return {
        **retry_headers(refusal.retry_after),
        "x-should-retry": "false" if refusal.too_large else "true",
    }


def retry_headers(retry_after: float) -> dict[str, str]:
    """``retry-after`` (whole seconds, as servers send it) and the SDKs' precise ``-ms``.

    Both official SDK families read ``retry-after-ms`` and ``x-should-retry``, so these
    names are shared by every codec rather than owned by one.
    """
    return {
        "retry-after": str(max(1, math.ceil(retry_after))),
        "retry-after-ms": f"{retry_after * 1000:g}",
    }
