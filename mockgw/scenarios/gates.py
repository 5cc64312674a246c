"""A rule's gates: everything that must hold for it to fire, in the order tried.

Selection asks each gate :meth:`Gate.holds`; the near-miss report asks each the same
gate for its :class:`~mockgw.core.plan.Check`. One list serves both, so the report
can never disagree with selection: a ``probability`` gate reports the draw selection
made, and a rule that lost its draw is reported as such. A draw never made (the rule
failed before it) is no check at all, neither passed nor failed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol

from mockgw.core.plan import Check
from mockgw.scenarios.matching import Criterion, MatchContext
from mockgw.scenarios.model import Rule


@dataclass(slots=True)
class GateContext:
    """One request against one scenario of one session."""

    match: MatchContext
    hits: dict[tuple[str, str], int]  # the session's firings per (scenario, rule)
    state: str  # the scenario's current state in this session
    rng: random.Random  # the session's generator: draws replay exactly
    draws: dict[int, float] = field(default_factory=dict)  # rule index -> its draw


class Gate(Protocol):
    def holds(self, ctx: GateContext) -> bool: ...

    def check(self, ctx: GateContext) -> Check | None:
        """What this gate found; None when it had nothing to test."""
        ...


@dataclass(frozen=True, slots=True)
class StateGate:
    wanted: str

    def holds(self, ctx: GateContext) -> bool:
        return ctx.state == self.wanted

    def check(self, ctx: GateContext) -> Check:
        return Check(f"state is '{self.wanted}'", self.holds(ctx), f"state is '{ctx.state}'")


def _times(count: int) -> str:
    return "once" if count == 1 else "twice" if count == 2 else f"{count} times"


@dataclass(frozen=True, slots=True)
class TimesGate:
    key: tuple[str, str]  # (scenario, rule label)
    times: int

    def holds(self, ctx: GateContext) -> bool:
        return ctx.hits.get(self.key, 0) < self.times

    def check(self, ctx: GateContext) -> Check:
        hits = ctx.hits.get(self.key, 0)
        return Check(
            f"times: {self.times} (fires at most {_times(self.times)} per session)",
            hits < self.times,
            f"already fired {_times(hits)}",
        )


@dataclass(frozen=True, slots=True)
class ConditionGate:
    """One criterion of the rule's ``when``."""

    criterion: Criterion

    def holds(self, ctx: GateContext) -> bool:
        return self.criterion.holds(ctx.match)

    def check(self, ctx: GateContext) -> Check:
        return self.criterion.check(ctx.match)


@dataclass(frozen=True, slots=True)
class ProbabilityGate:
    """Drawn last, and only for a rule that otherwise matches, so that adding a
    probability to one rule never shifts the draws of requests it cannot match."""

    rule_index: int
    probability: float

    def holds(self, ctx: GateContext) -> bool:
        draw = ctx.draws[self.rule_index] = ctx.rng.random()
        return draw < self.probability

    def check(self, ctx: GateContext) -> Check | None:
        draw = ctx.draws.get(self.rule_index)
        if draw is None:
            return None  # never drawn: the rule's other gates failed first
        passed = draw < self.probability
        found = "" if passed else f"drew {draw:.3f}"
        return Check(f"probability {self.probability:g}", passed, found)


def gates_of(
    rule: Rule, *, index: int, scenario: str, label: str, criteria: tuple[Criterion, ...]
) -> tuple[Gate, ...]:
    """The gates of one rule, cheapest first and the probability draw last."""
    gates: list[Gate] = []
    if rule.in_state is not None:
        gates.append(StateGate(rule.in_state))
    if rule.times is not None:
        gates.append(TimesGate((scenario, label), rule.times))
    gates.extend(ConditionGate(c) for c in criteria)
    if rule.probability is not None:
        gates.append(ProbabilityGate(index, rule.probability))
    return tuple(gates)
