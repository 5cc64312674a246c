"""A Plan: everything decided about one answer, as a value, before anything is sent.

Its outcome is a closed union: an :class:`Answer` (a completion to encode), an
:class:`ErrorAnswer` (a neutral failure the codec words) or a :class:`ConnectionFault`.
Around it ride the delivery details: timing, headers, rate-limit state, and which
scenario and rule decided, so that every outcome is journaled and explained alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from mockgw.core.chat import Completion
from mockgw.core.failures import Failure, ScriptedError
from mockgw.core.ratelimit import BucketState

ConnectionFaultKind = Literal["reset", "close", "garbage", "close_after_headers", "hang"]
StreamFaultKind = Literal["disconnect", "truncate", "no_terminator", "stall", "error"]


@dataclass(frozen=True, slots=True)
class Timing:
    delay: float = 0.0  # before the response (its headers) is sent
    ttft: float = 0.0  # streams: before the first event after the headers
    every: float = 0.0  # streams: between events
    jitter: float = 0.0  # streams: each gap varies by up to this fraction of ``every``
    seed: int = 0  # drives the jitter, so a paced stream replays identically

    @property
    def paced(self) -> bool:
        return self.ttft > 0 or self.every > 0


@dataclass(frozen=True, slots=True)
class StreamFault:
    """What goes wrong in a stream, and when: after N events and/or after some seconds."""

    kind: StreamFaultKind
    after_events: int | None = None
    after_seconds: float | None = None
    error: ScriptedError | None = None  # the error event, for kind "error"


@dataclass(frozen=True, slots=True)
class Answer:
    completion: Completion
    stream_fault: StreamFault | None = None
    # Whether usage was scripted (and so must not be adjusted, e.g. by prompt caching).
    usage_scripted: bool = False


@dataclass(frozen=True, slots=True)
class ErrorAnswer:
    failure: Failure


@dataclass(frozen=True, slots=True)
class ConnectionFault:
    kind: ConnectionFaultKind


Outcome = Answer | ErrorAnswer | ConnectionFault


@dataclass(frozen=True, slots=True)
class Check:
    """One condition of a rule against one request: what it asks, and what was found."""

    description: str
    passed: bool
    found: str = ""


@dataclass(frozen=True, slots=True)
class Plan:
    """The outcome for one request and how to deliver it."""

    outcome: Outcome
    timing: Timing = Timing()
    headers: Mapping[str, str] = field(default_factory=dict)
    # The rate-limit buckets charged for this request, for the codec's countdown headers.
    limits: tuple[BucketState, ...] = ()
    # What decided: a rule's label, or a reserved label such as "<unmatched>".
    scenario: str | None = None
    rule: str | None = None
    # For a request no rule matched: the nearest rule's checks, as data (the near-miss
    # report in the failure is their rendering).
    checks: tuple[Check, ...] = ()
    # Things a user should know about this answer (a template value that was missing...).
    warnings: tuple[str, ...] = ()

    @property
    def completion(self) -> Completion | None:
        return self.outcome.completion if isinstance(self.outcome, Answer) else None

    @property
    def failure(self) -> Failure | None:
        return self.outcome.failure if isinstance(self.outcome, ErrorAnswer) else None

    @property
    def fault(self) -> str | None:
        """The connection or stream fault this plan applies, by name (for the journal)."""
        if isinstance(self.outcome, ConnectionFault):
            return self.outcome.kind
        if isinstance(self.outcome, Answer) and self.outcome.stream_fault is not None:
            return self.outcome.stream_fault.kind
        return None
