"""The near-miss report for a request no rule matched (WireMock's most praised feature).

It is a rendering of the checks the rules' gates recorded: the nearest rule is the one
with the fewest failed checks, then the most that held, then file order; every check
is listed with what was found where it failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from mockgw.core.plan import Check


class _Rule(Protocol):
    @property
    def label(self) -> str: ...

    @property
    def index(self) -> int: ...


class _Result(Protocol):
    @property
    def rule(self) -> _Rule: ...

    @property
    def checks(self) -> tuple[Check, ...]: ...

    @property
    def failed(self) -> int: ...


R = TypeVar("R", bound=_Result)


def _closeness(result: _Result) -> tuple[int, int, int]:
    # A rule that lost only its probability draw is nearer than one that failed a
    # condition as well as it: fewer failures first, then more checks that held.
    passed = len(result.checks) - result.failed
    return (result.failed, -passed, result.rule.index)


def nearest(results: Sequence[R]) -> R | None:
    """The rule that came closest to matching."""
    return min(results, key=_closeness, default=None)


def near_miss_message(scenario: str, results: Sequence[_Result]) -> str:
    head = f"mockgw: no rule of scenario '{scenario}' matched this request."
    closest = nearest(results)
    if closest is None:
        return head + " The scenario has no rules."
    total = len(closest.checks)
    lines = [
        head,
        f"Nearest rule: '{closest.rule.label}' "
        f"({total - closest.failed} of {total} conditions hold):",
    ]
    for check in closest.checks:
        mark = "✓" if check.passed else "✗"
        found = f" — {check.found}" if check.found else ""
        lines.append(f"  {mark} {check.description}{found}")
    others = sorted((r for r in results if r is not closest), key=_closeness)[:3]
    if others:
        lines.append(
            "Other rules: " + ", ".join(f"'{r.rule.label}' ({r.failed} failed)" for r in others)
        )
    return "\n".join(lines)
