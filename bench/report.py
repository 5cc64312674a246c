"""The printed table, the mockgw/baseline ratios against their targets, and a profile."""

from __future__ import annotations

import argparse
import math
import os
import platform
import pstats
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.load import PhaseResult, count_events

# The figures the project aims for (mockgw as a fraction of the bare baseline).
TARGET_REQUESTS = 0.6
TARGET_STREAM_EVENTS = 0.5
PROFILE_LINES = 30


@dataclass
class Measured:
    """One (case, server) cell: the load figures plus who was burning CPU."""

    case: str
    server: str
    result: PhaseResult
    server_cpu: float | None  # fraction of one core; None where /proc is missing
    client_cpu: float  # the load generator's share of a core over the same window


def _pct(fraction: float | None) -> str:
    return "n/a" if fraction is None else f"{100 * fraction:.0f}%"


def _ratio(cells: list[Measured], case: str, per_second: str) -> float:
    by_server = {c.server: float(getattr(c.result, per_second)) for c in cells if c.case == case}
    mock, base = by_server.get("mockgw", 0.0), by_server.get("baseline", 0.0)
    return mock / base if base else math.nan


def print_header(args: argparse.Namespace, completion: bytes, stream: bytes) -> None:
    print(
        f"mockgw bench: {args.workers} workers, {args.warmup:g} s warm-up + {args.seconds:g} s "
        f"per case, best of {args.rounds} round(s); {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, aiohttp {aiohttp.__version__}"
    )
    print(
        f"replies: {len(completion)} B JSON, {len(stream)} B SSE with {count_events(stream)} "
        "data: events (the baseline serves these same bytes)"
    )
    if args.profile:
        print("mockgw runs under cProfile: its figures are depressed")


def print_report(cells: list[Measured]) -> None:
    print()
    print(
        f"{'case':<11}{'server':<10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'events/s':>11}{'errors':>8}{'server CPU':>12}{'loadgen CPU':>13}"
    )
    for cell in cells:
        r = cell.result
        events = f"{r.events_per_second:11.0f}" if cell.case == "stream" else f"{'-':>11}"
        print(
            f"{cell.case:<11}{cell.server:<10}{r.requests_per_second:9.0f}"
            f"{r.percentile_ms(0.50):9.1f}{r.percentile_ms(0.99):9.1f}{events}"
            f"{r.errors:8d}{_pct(cell.server_cpu):>12}{_pct(cell.client_cpu):>13}"
        )
    print()
    print(f"{'mockgw / baseline':<26}{'ratio':>7}  target")
    rows = (
        ("non-stream requests/s", _ratio(cells, "non-stream", "requests_per_second"),
         TARGET_REQUESTS),
        ("stream requests/s", _ratio(cells, "stream", "requests_per_second"), TARGET_REQUESTS),
        ("stream events/s", _ratio(cells, "stream", "events_per_second"), TARGET_STREAM_EVENTS),
    )  # fmt: skip
    for label, ratio, target in rows:
        if math.isnan(ratio):
            print(f"{label:<26}{'n/a':>7}  >= {target:.2f}x  (no baseline figure)")
            continue
        verdict = "met" if ratio >= target else "BELOW TARGET"
        print(f"{label:<26}{ratio:6.2f}x  >= {target:.2f}x  {verdict}")
    # A loaded core on the generator side caps both servers alike and flatters the
    # ratio; say so rather than let the figure pass for a server-bound one.
    if any(c.client_cpu > 0.9 for c in cells if c.server == "baseline"):
        print("note: the load generator used a whole core against the baseline, so the")
        print("      baseline figure is a floor and the ratios above are upper bounds")
    for cell in cells:
        if cell.result.first_error:
            print(f"first error, {cell.case} {cell.server}: {cell.result.first_error}")


def print_profile(path: Path) -> None:
    """Own time shows the hot leaves; cumulative time, mockgw's frames only, the culprits.

    The server's idle time sits in ``epoll.poll``: it is the gap the load generator
    leaves, not work.
    """
    if not path.exists():
        print(f"no profile written at {path}")
        return
    stats = pstats.Stats(str(path))
    print(f"\nmockgw server process, top {PROFILE_LINES} functions by own time:")
    stats.sort_stats(pstats.SortKey.TIME).print_stats(PROFILE_LINES)
    print(f"mockgw's own functions, top {PROFILE_LINES} by cumulative time:")
    stats.sort_stats(pstats.SortKey.CUMULATIVE).print_stats("/mockgw/", PROFILE_LINES)
