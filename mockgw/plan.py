"""A Plan: everything decided about one answer, as a value, before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass, field

from mockgw.core import Completion
from mockgw.errors import ApiError


@dataclass(frozen=True, slots=True)
class Timing:
    delay: float = 0.0  # before the response (its headers) is sent
    ttft: float = 0.0  # streams: before the first event
    every: float = 0.0  # streams: between events

    @property
    def paced(self) -> bool:
        return self.ttft > 0 or self.every > 0


@dataclass(frozen=True, slots=True)
class Plan:
    """Either a completion to encode or an error to send, plus how to deliver it."""

    completion: Completion | None = None
    error: ApiError | None = None
    headers: dict[str, str] = field(default_factory=dict)
    timing: Timing = Timing()
    scenario: str | None = None
    rule: str | None = None
    # Things a user should know about this answer (a template value that was missing...).
    warnings: tuple[str, ...] = ()
    # Whether usage was scripted (and so must not be adjusted, e.g. by prompt caching).
    usage_scripted: bool = False
