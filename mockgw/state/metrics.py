"""What a server counts for Prometheus: requests, latency, streams in progress, refusals.

Each server has its own :class:`Metrics` with its own ``CollectorRegistry``, never
prometheus_client's global one: several servers share a process (the library in tests,
xdist workers), and each must report only its own traffic.

Labels stay bounded whatever clients send. A session id is never a label; a scenario a
session added for itself (whose name holds the session id) is counted as ``<session>``,
and one a request named but the server does not have as ``<unknown>``, since that name
came from the request. Past :data:`MAX_SERIES` scenario/rule pairs, new ones are counted
as ``<other>``.

Recording is on the hot path: the label children of each distinct request outcome are
looked up once and kept, so a request costs a dict lookup and three increments.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from mockgw.core.plan import Plan
from mockgw.scenarios.engine import LIMITS, UNKNOWN

# From sub-millisecond answers to scripted delays, hangs and stalls (`--max-wait`, 30 s
# by default, bounds those).
BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)  # fmt: skip
MAX_SERIES = 1000  # distinct (scenario, rule) label pairs before new ones become <other>
_MAX_CACHED = 4096  # outcomes whose children are kept; the cache starts over past it
SESSION_SCENARIO = "<session>"
UNKNOWN_SCENARIO = "<unknown>"
OTHER = "<other>"

# (api, status, scenario, rule, fault): one request's outcome, as the exchange saw it.
_Outcome = tuple[str, int, str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class _Series:
    """The label children one outcome increments."""

    requests: Counter
    latency: Histogram
    refusals: Counter | None  # for a rate-limit refusal only


class Metrics:
    """One server's metrics; :meth:`render` gives the Prometheus text format.

    ``private(name)`` tells whether scenario ``name`` belongs to one session (it is then
    labelled ``<session>``); it is asked once per new outcome, not per request.
    """

    def __init__(
        self, *, apis: Iterable[str] = (), private: Callable[[str], bool] = lambda _: False
    ) -> None:
        self.registry = CollectorRegistry()
        self._private = private
        self._requests = Counter(
            "mockgw_requests",
            "API requests answered, by API, status, scenario, rule and fault.",
            ("api", "status", "scenario", "rule", "fault"),
            registry=self.registry,
        )
        self._latency = Histogram(
            "mockgw_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, scripted waits included.",
            ("api",),
            buckets=BUCKETS,
            registry=self.registry,
        )
        self._streams = Gauge(
            "mockgw_active_streams",
            "Streaming responses whose headers went out and that have not ended yet.",
            ("api",),
            registry=self.registry,
        )
        self._refusals = Counter(
            "mockgw_rate_limit_refusals",
            "Requests refused by a scenario's limits (rule <limits>), by API and scenario.",
            ("api", "scenario"),
            registry=self.registry,
        )
        self._series: dict[_Outcome, _Series] = {}
        self._pairs: set[tuple[str, str]] = set()
        self._active: dict[str, Gauge] = {}
        for api in apis:  # present at zero from the start, as Prometheus prefers
            self._latency.labels(api)
            self.active_streams(api)

    def record(self, api: str, status: int, plan: Plan | None, started: float) -> None:
        """Count one answered request of ``api``, planned by ``plan`` (None when it was
        refused before any plan), that arrived at ``started`` (``time.perf_counter()``)."""
        if plan is None:
            outcome: _Outcome = (api, status, None, None, None)
        else:
            outcome = (api, status, plan.scenario, plan.rule, plan.fault)
        series = self._series.get(outcome)
        if series is None:
            series = self._new_series(outcome)
        series.requests.inc()
        series.latency.observe(time.perf_counter() - started)
        if series.refusals is not None:
            series.refusals.inc()

    def active_streams(self, api: str) -> Gauge:
        """The gauge of ``api``'s streams in progress: inc when the headers go out, dec
        when the stream ends, however it ends."""
        gauge = self._active.get(api)
        if gauge is None:
            gauge = self._active[api] = self._streams.labels(api)
        return gauge

    def render(self) -> bytes:
        """Every metric in the Prometheus text exposition format."""
        return generate_latest(self.registry)

    def _new_series(self, outcome: _Outcome) -> _Series:
        api, status, scenario, rule, fault = outcome
        scenario_label, rule_label = self._bounded(scenario or "", rule or "")
        labels = (api, str(status), scenario_label, rule_label, fault or "")
        series = _Series(
            requests=self._requests.labels(*labels),
            latency=self._latency.labels(api),
            refusals=self._refusals.labels(api, scenario_label) if rule == LIMITS else None,
        )
        if len(self._series) >= _MAX_CACHED:
            self._series.clear()  # raw outcomes can hold session-made names: keep it bounded
        self._series[outcome] = series
        return series

    def _bounded(self, scenario: str, rule: str) -> tuple[str, str]:
        if rule == UNKNOWN:
            scenario = UNKNOWN_SCENARIO
        elif scenario and self._private(scenario):
            scenario = SESSION_SCENARIO
        pair = (scenario, rule)
        if pair not in self._pairs:
            if len(self._pairs) >= MAX_SERIES:
                return OTHER, OTHER
            self._pairs.add(pair)
        return pair
