"""The near-miss report for a request no rule matched (WireMock's most praised feature).

It is a rendering of the checks the matcher already recorded: the nearest rule is the
one with the fewest failed checks (file order breaks ties), and every check is listed
with what was found where it failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from mockgw.core.plan import Check


class _Result(Protocol):
    @property
    def checks(self) -> tuple[Check, ...]: ...

    @property
    def failed(self) -> int: ...

    @property
    def rule(self) -> object: ...


def near_miss_message(scenario: str, results: Sequence[_Result]) -> str:
    head = f"mockgw: no rule of scenario '{scenario}' matched this request."
    if not results:
        return head + " The scenario has no rules."
    nearest = min(results, key=lambda r: (r.failed, getattr(r.rule, "index", 0)))
    label = getattr(nearest.rule, "label", "?")
    total = len(nearest.checks)
    lines = [
        head,
        f"Nearest rule: '{label}' ({total - nearest.failed} of {total} conditions hold):",
    ]
    for check in nearest.checks:
        mark = "✓" if check.passed else "✗"
        found = f" — {check.found}" if check.found else ""
        lines.append(f"  {mark} {check.description}{found}")
    others = [r for r in results if r is not nearest]
    if others:
        ranked = sorted(others, key=lambda r: (r.failed, getattr(r.rule, "index", 0)))[:3]
        lines.append(
            "Other rules: "
            + ", ".join(f"'{getattr(r.rule, 'label', '?')}' ({r.failed} failed)" for r in ranked)
        )
    return "\n".join(lines)
