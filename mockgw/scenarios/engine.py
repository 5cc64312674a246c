"""Rule selection: scenarios, sessions, ``times``, sequences, states, chaos and limits.

The engine owns all mutable scenario state, keyed by session, so that tests sharing
one server never see each other's counters or states. It never raises for an outcome
it decided: an unknown scenario, a spent rate limit and a request no rule matched are
plans like any other, carrying the scenario and a reserved rule label
(:data:`UNKNOWN`, :data:`LIMITS`, :data:`UNMATCHED`), so they are journaled and
explained alike.

Every random choice (a rule's ``probability``, a delay distribution, jitter) comes
from the session's generator, seeded from the server seed and the session id: the
same requests replay the same outcomes, whatever other sessions do. Rate limits are
charged for the chaos scenario first, then for the request's own, before its rules
are tried. It runs on the server's event loop; the lock guards it against the library
(MockGateway), which calls it from the test's thread.
"""

from __future__ import annotations

import difflib
import hashlib
import random
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mockgw.core.chat import ChatRequest
from mockgw.core.completions import generated_completion
from mockgw.core.failures import NoMatch, RateLimited, UnknownScenario
from mockgw.core.plan import Answer, Check, ErrorAnswer, Plan
from mockgw.core.profiles import Profile
from mockgw.core.ratelimit import BucketState, RateLimiter
from mockgw.core.tokens import request_tokens
from mockgw.scenarios.gates import Gate, GateContext, gates_of
from mockgw.scenarios.loader import INITIAL_STATE, LoadedScenario
from mockgw.scenarios.matching import MatchContext, compile_condition
from mockgw.scenarios.model import Limits, Reply, Rule
from mockgw.scenarios.nearmiss import near_miss_message, nearest
from mockgw.scenarios.replies import RenderContext, build_plan

DEFAULT_SESSION = "default"
# Labels for what decided a plan when no rule did, in the journal and x-mockgw-rule.
UNKNOWN = "<unknown>"
LIMITS = "<limits>"
UNMATCHED = "<unmatched>"
RESERVED_LABELS = frozenset({UNKNOWN, LIMITS, UNMATCHED})
# Near-miss reports a session keeps for its check (the count itself is never capped).
MAX_MISSES_KEPT = 100

# Sessions beyond this are forgotten oldest-first, so a long CI run cannot grow without bound.
MAX_SESSIONS = 10_000


@dataclass(frozen=True, slots=True)
class CompiledRule:
    index: int
    label: str
    rule: Rule  # as written, for the admin API's edits
    gates: tuple[Gate, ...]
    replies: tuple[Reply, ...]
    increment: tuple[str, ...] = ()
    next_state: str | None = None
    cycle: bool = False  # ``sequence: cycle``: replies start over after the last


@dataclass(frozen=True, slots=True)
class CompiledScenario:
    name: str
    source: str
    unmatched: str
    rules: tuple[CompiledRule, ...]  # in the order they are tried
    limits: Limits | None = None
    profile: Profile | None = None  # None: the server's


@dataclass(slots=True)
class SessionState:
    rng: random.Random
    states: dict[str, str] = field(default_factory=dict)
    hits: dict[tuple[str, str], int] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    # Requests no rule matched: how many, and the latest near-miss reports.
    misses: int = 0
    reports: deque[str] = field(default_factory=lambda: deque(maxlen=MAX_MISSES_KEPT))


def session_seed(seed: int, session: str) -> int:
    digest = hashlib.blake2b(f"{seed}:{session}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@dataclass(frozen=True, slots=True)
class RuleResult:
    """How one rule fared against a request: every check, in order."""

    rule: CompiledRule
    checks: tuple[Check, ...]

    @property
    def failed(self) -> int:
        return sum(1 for c in self.checks if not c.passed)


def compile_scenario(loaded: LoadedScenario) -> CompiledScenario:
    scenario = loaded.scenario
    rules = []
    for index, rule in enumerate(scenario.rules):
        replies = (rule.reply,) if rule.reply is not None else tuple(rule.replies or ())
        label = rule.name or f"rules[{index}]"
        criteria = compile_condition(rule.when)
        gates = gates_of(
            rule, index=index, scenario=scenario.scenario, label=label, criteria=criteria
        )
        compiled = CompiledRule(
            index,
            label,
            rule,
            gates,
            replies,
            tuple(rule.increment),
            rule.next_state,
            rule.sequence == "cycle",
        )
        rules.append((rule.priority, compiled))
    # Higher priority first; Python's sort is stable, so ties keep file order.
    rules.sort(key=lambda pair: -pair[0])
    return CompiledScenario(
        scenario.scenario,
        f"{loaded.file}:{loaded.line}",
        scenario.unmatched,
        tuple(rule for _, rule in rules),
        scenario.limits,
        scenario.profile,
    )


class Engine:
    """Chooses the plan for every request; see the module docstring."""

    def __init__(
        self,
        scenarios: Mapping[str, LoadedScenario] | None = None,
        *,
        default: str | None = None,
        chaos: str | None = None,
        seed: int = 0,
        apis: tuple[str, ...] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # The wire formats the server speaks, for loading more scenarios (None: any).
        self.apis = apis
        self._scenarios: dict[str, CompiledScenario] = {}
        self._sessions: OrderedDict[str, SessionState] = OrderedDict()
        self._limiters: dict[str, RateLimiter] = {}
        self._lock = threading.RLock()
        self._clock = clock
        self.default = default
        # A scenario whose rules are tried before every request's own (``--chaos``).
        self.chaos = chaos
        self.seed = seed
        self.replace(scenarios or {})

    # --- scenario set -------------------------------------------------------------

    def replace(self, scenarios: Mapping[str, LoadedScenario]) -> None:
        """Swap in a new scenario set (hot reload); session state is kept."""
        compiled = {name: compile_scenario(s) for name, s in scenarios.items()}
        with self._lock:
            self._scenarios = compiled
            self._keep_current_limiters()

    def add(self, loaded: LoadedScenario) -> None:
        """Load one scenario, replacing any of the same name."""
        with self._lock:
            self._scenarios = {
                **self._scenarios,
                loaded.scenario.scenario: compile_scenario(loaded),
            }
            self._keep_current_limiters()

    def remove(self, name: str) -> None:
        """Forget scenario ``name`` (no error if it is not loaded)."""
        with self._lock:
            self._scenarios = {k: v for k, v in self._scenarios.items() if k != name}
            self._keep_current_limiters()

    def _keep_current_limiters(self) -> None:
        # Buckets survive a reload unless the scenario's limits changed or it is gone.
        self._limiters = {
            name: limiter
            for name, limiter in self._limiters.items()
            if name in self._scenarios and self._scenarios[name].limits == limiter.limits
        }

    @property
    def names(self) -> list[str]:
        return sorted(self._scenarios)

    def get(self, name: str) -> CompiledScenario | None:
        return self._scenarios.get(name)

    # --- sessions -----------------------------------------------------------------

    def session(self, session_id: str) -> SessionState:
        with self._lock:
            state = self._sessions.get(session_id)
            if state is None:
                rng = random.Random(session_seed(self.seed, session_id))
                state = self._sessions[session_id] = SessionState(rng)
                if len(self._sessions) > MAX_SESSIONS:
                    self._sessions.popitem(last=False)
            else:
                self._sessions.move_to_end(session_id)
            return state

    def reset_session(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)
            # A reset session starts afresh, its ``per: session`` rate limits included.
            for limiter in self._limiters.values():
                limiter.forget(RateLimiter.bucket_key(limiter.limits, None, session_id))

    def reset_all(self) -> None:
        with self._lock:
            self._sessions.clear()
            self._limiters.clear()

    # --- answering ----------------------------------------------------------------

    def resolve(self, requested: str | None) -> CompiledScenario | UnknownScenario | None:
        """The scenario a request chose (or the default), or why there is none."""
        name = requested or self.default
        if name is None:
            return None
        scenario = self._scenarios.get(name)
        if scenario is not None:
            return scenario
        near = difflib.get_close_matches(name, self._scenarios, n=1)
        return UnknownScenario(name, tuple(self.names), near[0] if near else None)

    def profile(self, requested: str | None) -> Profile | None:
        """The profile of the scenario a request chose, if that scenario sets one."""
        chosen = self.resolve(requested)
        return chosen.profile if isinstance(chosen, CompiledScenario) else None

    def plan(
        self,
        request: ChatRequest,
        body: Mapping[str, Any],
        headers: Mapping[str, str],
        *,
        scenario: str | None = None,
        session: str = DEFAULT_SESSION,
        client_key: str | None = None,
    ) -> Plan:
        """The plan for ``request``; ``client_key`` (the API key) keys ``per: key`` limits."""
        chosen = self.resolve(scenario)
        if isinstance(chosen, UnknownScenario):
            return Plan(ErrorAnswer(chosen), scenario=chosen.name, rule=UNKNOWN)
        chaos = self._scenarios.get(self.chaos) if self.chaos else None
        if chaos is not None and chosen is not None and chaos.name == chosen.name:
            # Trying its rules twice would draw every probability twice (10 % -> 19 %).
            chaos = None
        if chosen is None and chaos is None:
            return Plan(Answer(generated_completion(request)))
        with self._lock:
            state = self.session(session)
            match = MatchContext(request, body, headers, state.counters)
            charged: list[BucketState] = []
            for current in (chaos, chosen):
                if current is None:
                    continue
                # Server-wide limits (``--chaos rate-limited-60-rpm``) apply to everything.
                refused = self._admit(current, request, client_key, session, charged)
                if refused is not None:
                    return refused
                ctx = self._gate_context(current, state, match)
                plan = self._select(current, state, ctx)
                if plan is not None:
                    return _charged(plan, charged)
            if chosen is None:  # chaos alone: its rules passed, the default reply follows
                return _charged(Plan(Answer(generated_completion(request))), charged)
            if chosen.unmatched == "generate":
                plan = Plan(Answer(generated_completion(request)), scenario=chosen.name)
                return _charged(plan, charged)
            return _charged(self._unmatched(chosen, state, ctx), charged)

    def _gate_context(
        self, scenario: CompiledScenario, state: SessionState, match: MatchContext
    ) -> GateContext:
        current = state.states.get(scenario.name, INITIAL_STATE)
        return GateContext(match, state.hits, current, state.rng)

    def _select(
        self, scenario: CompiledScenario, state: SessionState, ctx: GateContext
    ) -> Plan | None:
        for rule in scenario.rules:
            # A plain loop, not all(genexpr): this is the matcher's inner loop.
            for gate in rule.gates:
                if not gate.holds(ctx):
                    break
            else:
                return self._fire(rule, scenario, state, ctx)
        return None

    def _unmatched(self, scenario: CompiledScenario, state: SessionState, ctx: GateContext) -> Plan:
        """The plan for a request no rule of ``scenario`` matched, with its report.

        The checks are read from the gates selection used, in the context it used
        (its draws included), so the report says exactly why each rule did not fire.
        """
        results = [
            RuleResult(r, tuple(c for g in r.gates if (c := g.check(ctx)) is not None))
            for r in scenario.rules
        ]
        report = near_miss_message(scenario.name, results)
        state.misses += 1
        state.reports.append(report)
        closest = nearest(results)
        return Plan(
            ErrorAnswer(NoMatch(scenario.name, report)),
            scenario=scenario.name,
            rule=UNMATCHED,
            checks=closest.checks if closest else (),
        )

    def _admit(
        self,
        scenario: CompiledScenario,
        request: ChatRequest,
        client_key: str | None,
        session: str,
        charged: list[BucketState],
    ) -> Plan | None:
        """Charge the scenario's rate limit: None when admitted, else the refusal."""
        limits = scenario.limits
        if limits is None:
            return None
        limiter = self._limiters.get(scenario.name)
        if limiter is None:
            limiter = self._limiters[scenario.name] = RateLimiter(limits, clock=self._clock)
        key = RateLimiter.bucket_key(limits, client_key, session)
        # As OpenAI counts: the prompt plus the most the reply may use.
        cost = request_tokens(request) + (request.max_tokens or 0)
        admission = limiter.admit(key, cost)
        if admission.granted:
            charged.extend(admission.buckets)
            return None
        return Plan(
            ErrorAnswer(RateLimited(admission)),
            limits=tuple(charged),
            scenario=scenario.name,
            rule=LIMITS,
        )

    def _fire(
        self,
        rule: CompiledRule,
        scenario: CompiledScenario,
        state: SessionState,
        ctx: GateContext,
    ) -> Plan:
        key = (scenario.name, rule.label)
        count = state.hits.get(key, 0) + 1
        state.hits[key] = count
        for name in rule.increment:
            state.counters[name] = state.counters.get(name, 0) + 1
        if rule.next_state is not None:
            state.states[scenario.name] = rule.next_state
        position = count - 1
        if rule.cycle:
            position %= len(rule.replies)
        reply = rule.replies[min(position, len(rule.replies) - 1)]
        render = RenderContext(ctx.match, count=count, state=ctx.state, rng=state.rng)
        return build_plan(reply, render, scenario=scenario.name, rule=rule.label)


def _charged(plan: Plan, charged: list[BucketState]) -> Plan:
    return replace(plan, limits=tuple(charged)) if charged else plan
