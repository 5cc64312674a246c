"""A Plan: everything decided about one answer, as a value, before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from mockgw.core.chat import Completion
from mockgw.errors import ApiError

ConnectionFault = Literal["reset", "close", "garbage", "close_after_headers", "hang"]
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
    error: ApiError | None = None  # the provider error event, for kind "error"


@dataclass(frozen=True, slots=True)
class Plan:
    """Either a completion to encode or an error to send, plus how to deliver it."""

    completion: Completion | None = None
    error: ApiError | None = None
    headers: dict[str, str] = field(default_factory=dict)
    timing: Timing = Timing()
    fault: ConnectionFault | None = None
    stream_fault: StreamFault | None = None
    scenario: str | None = None
    rule: str | None = None
    # Things a user should know about this answer (a template value that was missing...).
    warnings: tuple[str, ...] = ()
    # Whether usage was scripted (and so must not be adjusted, e.g. by prompt caching).
    usage_scripted: bool = False
