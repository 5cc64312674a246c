"""Rule selection: scenarios, sessions, ``times``, sequences, states, chaos and limits.

The engine owns all mutable scenario state, keyed by session, so that tests sharing
one server never see each other's counters or states. Every random choice (a rule's
``probability``, a delay distribution, jitter) comes from the session's generator,
seeded from the server seed and the session id: the same requests replay the same
outcomes, whatever other sessions do. Rate limits (``limits``) are charged for the
chaos scenario first, then for the request's own, before its rules are tried. It runs on
the server's event loop; the lock only guards admin access from other threads.
"""

from __future__ import annotations

import difflib
import hashlib
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from multidict import CIMultiDictProxy

from mockgw.core.chat import ChatRequest
from mockgw.core.completions import generated_completion
from mockgw.core.failures import preset_error
from mockgw.core.keys import bearer_token
from mockgw.core.plan import Plan
from mockgw.core.ratelimit import Admission, RateLimiter, openai_duration
from mockgw.core.tokens import request_tokens
from mockgw.errors import ApiError
from mockgw.scenarios.loader import INITIAL_STATE, LoadedScenario
from mockgw.scenarios.matching import Check, Criterion, MatchContext, compile_condition
from mockgw.scenarios.model import Limits, Reply, Rule
from mockgw.scenarios.nearmiss import near_miss_message
from mockgw.scenarios.replies import RenderContext, build_plan
from mockgw.web.selection import DEFAULT_SESSION

# Sessions beyond this are forgotten oldest-first, so a long CI run cannot grow without bound.
MAX_SESSIONS = 10_000


@dataclass(frozen=True, slots=True)
class CompiledRule:
    index: int
    label: str
    rule: Rule
    criteria: tuple[Criterion, ...]
    replies: tuple[Reply, ...]


@dataclass(frozen=True, slots=True)
class CompiledScenario:
    name: str
    source: str
    unmatched: str
    rules: tuple[CompiledRule, ...]  # in the order they are tried
    limits: Limits | None = None


@dataclass(slots=True)
class SessionState:
    rng: random.Random
    states: dict[str, str] = field(default_factory=dict)
    hits: dict[tuple[str, str], int] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)


def session_seed(seed: int, session: str) -> int:
    digest = hashlib.blake2b(f"{seed}:{session}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@dataclass(frozen=True, slots=True)
class RuleResult:
    """How one rule fared against a request: every check, in order."""

    rule: CompiledRule
    checks: tuple[Check, ...]

    @property
    def matched(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> int:
        return sum(1 for c in self.checks if not c.passed)


def _times(count: int) -> str:
    return "once" if count == 1 else "twice" if count == 2 else f"{count} times"


def compile_scenario(loaded: LoadedScenario) -> CompiledScenario:
    scenario = loaded.scenario
    rules = []
    for index, rule in enumerate(scenario.rules):
        replies = (rule.reply,) if rule.reply is not None else tuple(rule.replies or ())
        label = rule.name or f"rules[{index}]"
        rules.append(CompiledRule(index, label, rule, compile_condition(rule.when), replies))
    # Higher priority first; Python's sort is stable, so ties keep file order.
    rules.sort(key=lambda r: -r.rule.priority)
    return CompiledScenario(
        scenario.scenario,
        f"{loaded.file}:{loaded.line}",
        scenario.unmatched,
        tuple(rules),
        scenario.limits,
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
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
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
            # Buckets survive a reload unless the scenario's limits changed.
            self._limiters = {
                name: limiter
                for name, limiter in self._limiters.items()
                if name in compiled and compiled[name].limits == limiter.limits
            }

    def add(self, loaded: LoadedScenario) -> None:
        with self._lock:
            self._scenarios = {
                **self._scenarios,
                loaded.scenario.scenario: compile_scenario(loaded),
            }

    def remove(self, name: str) -> None:
        """Forget scenario ``name`` (no error if it is not loaded)."""
        with self._lock:
            self._scenarios = {k: v for k, v in self._scenarios.items() if k != name}
            self._limiters.pop(name, None)

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

    def resolve(self, requested: str | None) -> CompiledScenario | None:
        name = requested or self.default
        if name is None:
            return None
        scenario = self._scenarios.get(name)
        if scenario is None:
            near = difflib.get_close_matches(name, self._scenarios, n=1)
            hint = f" Did you mean '{near[0]}'?" if near else ""
            known = ", ".join(self.names) or "none are loaded"
            raise ApiError(
                404,
                "not_found_error",
                f"mockgw: no scenario named '{name}'.{hint} Known scenarios: {known}.",
                code="mockgw_unknown_scenario",
            )
        return scenario

    def plan(
        self,
        request: ChatRequest,
        body: Mapping[str, Any],
        headers: Mapping[str, str] | CIMultiDictProxy[str],
        *,
        scenario: str | None = None,
        session: str = DEFAULT_SESSION,
    ) -> Plan:
        chosen = self.resolve(scenario)
        chaos = self._scenarios.get(self.chaos) if self.chaos else None
        if chaos is not None and chosen is not None and chaos.name == chosen.name:
            # Trying its rules twice would draw every probability twice (10 % -> 19 %).
            chaos = None
        if chosen is None and chaos is None:
            return Plan(completion=generated_completion(request))
        with self._lock:
            state = self.session(session)
            ctx = MatchContext(request, body, headers, state.counters)
            limit_headers: dict[str, str] = {}
            if chaos is not None:
                # Server-wide limits (``--chaos rate-limited-60-rpm``) apply to everything.
                limit_headers = self._admit(chaos, request, headers, session)
                current = state.states.get(chaos.name, INITIAL_STATE)
                for rule in chaos.rules:
                    if self._fits(rule, chaos, state, current, ctx):
                        plan = self._fire(rule, chaos, state, current, ctx)
                        return _with_headers(plan, limit_headers)
            if chosen is None:
                return _with_headers(Plan(completion=generated_completion(request)), limit_headers)
            limit_headers = {**limit_headers, **self._admit(chosen, request, headers, session)}
            current = state.states.get(chosen.name, INITIAL_STATE)
            for rule in chosen.rules:
                if self._fits(rule, chosen, state, current, ctx):
                    plan = self._fire(rule, chosen, state, current, ctx)
                    return _with_headers(plan, limit_headers)
            if chosen.unmatched == "generate":
                plan = Plan(completion=generated_completion(request), scenario=chosen.name)
                return _with_headers(plan, limit_headers)
            results = [self.evaluate(r, chosen, state, current, ctx) for r in chosen.rules]
        raise ApiError(
            404,
            "not_found_error",
            near_miss_message(chosen.name, results),
            code="mockgw_no_match",
        )

    def _admit(
        self,
        scenario: CompiledScenario,
        request: ChatRequest,
        headers: Mapping[str, str] | CIMultiDictProxy[str],
        session: str,
    ) -> dict[str, str]:
        """Charge the scenario's rate limit; raise the provider's 429 when it is spent."""
        limits = scenario.limits
        if limits is None:
            return {}
        limiter = self._limiters.get(scenario.name)
        if limiter is None:
            limiter = self._limiters[scenario.name] = RateLimiter(limits, clock=self._clock)
        api_key = headers.get("x-api-key") or bearer_token(headers)  # type: ignore[arg-type]
        key = RateLimiter.bucket_key(limits, api_key, session)
        # As OpenAI counts: the prompt plus the most the reply may use.
        cost = request_tokens(request) + (request.max_tokens or 0)
        admission = limiter.admit(key, cost, request.api)
        if admission.granted:
            return admission.headers
        error = preset_error(
            "rate_limit",
            request.api,
            model=request.model,
            message=_limit_message(request, admission),
            type_=admission.limited_by if request.api == "openai" else None,
            headers=admission.headers,
            retry_after=admission.retry_after,
            # Waiting cannot admit a request bigger than the bucket: SDKs must not retry.
            should_retry=False if admission.too_large else None,
        )
        # The preset's stand-in "exhausted" headers for a bucket this scenario does not
        # have would contradict the server's usual ones: let those show through.
        for name in [n for n in error.headers if _is_limit_header(n)]:
            if name not in admission.headers:
                del error.headers[name]
        raise error

    def _fits(
        self,
        rule: CompiledRule,
        scenario: CompiledScenario,
        state: SessionState,
        current: str,
        ctx: MatchContext,
    ) -> bool:
        spec = rule.rule
        if spec.times is not None and state.hits.get((scenario.name, rule.label), 0) >= spec.times:
            return False
        if spec.in_state is not None and spec.in_state != current:
            return False
        # A plain loop, not all(genexpr): this is the matcher's inner loop.
        for criterion in rule.criteria:
            if not criterion.holds(ctx):
                return False
        # Drawn last, and only for a rule that otherwise matches, so that adding a
        # probability to one rule never shifts the draws of requests it cannot match.
        return spec.probability is None or state.rng.random() < spec.probability

    @staticmethod
    def evaluate(
        rule: CompiledRule,
        scenario: CompiledScenario,
        state: SessionState,
        current: str,
        ctx: MatchContext,
    ) -> RuleResult:
        spec = rule.rule
        checks = []
        if spec.in_state is not None:
            checks.append(
                Check(
                    f"state is '{spec.in_state}'", spec.in_state == current, f"state is '{current}'"
                )
            )
        if spec.times is not None:
            hits = state.hits.get((scenario.name, rule.label), 0)
            checks.append(
                Check(
                    f"times: {spec.times} (fires at most {_times(spec.times)} per session)",
                    hits < spec.times,
                    f"already fired {_times(hits)}",
                )
            )
        checks.extend(c.check(ctx) for c in rule.criteria)
        return RuleResult(rule, tuple(checks))

    def _fire(
        self,
        rule: CompiledRule,
        scenario: CompiledScenario,
        state: SessionState,
        current: str,
        ctx: MatchContext,
    ) -> Plan:
        spec = rule.rule
        key = (scenario.name, rule.label)
        count = state.hits.get(key, 0) + 1
        state.hits[key] = count
        for name in spec.increment:
            state.counters[name] = state.counters.get(name, 0) + 1
        if spec.next_state is not None:
            state.states[scenario.name] = spec.next_state
        position = count - 1
        if spec.sequence == "cycle":
            position %= len(rule.replies)
        reply = rule.replies[min(position, len(rule.replies) - 1)]
        render = RenderContext(ctx, count=count, state=current, rng=state.rng)
        return build_plan(reply, render, scenario=scenario.name, rule=rule.label)


def _is_limit_header(name: str) -> bool:
    lower = name.lower()
    return lower.startswith(("x-ratelimit-", "anthropic-ratelimit-"))


def _limit_message(request: ChatRequest, admission: Admission) -> str:
    """The provider's wording for a refusal by a real bucket, with its real numbers."""
    unit = admission.limited_by or "requests"
    limit, requested = admission.limit, admission.requested
    if request.api == "openai":
        short = "RPM" if unit == "requests" else "TPM"
        if admission.too_large:
            return (
                f"Request too large for {request.model} in organization org-mockgw on "
                f"{unit} per min ({short}): Limit {limit}, Requested {requested}. The input "
                "or output tokens must be reduced in order to run successfully. Visit "
                "https://platform.openai.com/account/rate-limits to learn more."
            )
        used = max(0, limit - int(admission.headers.get(f"x-ratelimit-remaining-{unit}", 0)))
        return (
            f"Rate limit reached for {request.model} in organization org-mockgw on {unit} "
            f"per min ({short}): Limit {limit}, Used {used}, Requested {requested}. Please "
            f"try again in {openai_duration(admission.retry_after)}. Visit "
            "https://platform.openai.com/account/rate-limits to learn more."
        )
    what = "requests" if unit == "requests" else "tokens"
    if admission.too_large:
        return (
            f"This request would use {requested} {what}, more than the rate limit for your "
            f"organization of {limit} {what} per minute allows. Please reduce the prompt "
            "length or the maximum tokens requested."
        )
    return (
        f"This request would exceed the rate limit for your organization of {limit} {what} "
        "per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You "
        "can see the response headers for current usage. Please reduce the prompt length or "
        "the maximum tokens requested, or try again later."
    )


def _with_headers(plan: Plan, headers: dict[str, str]) -> Plan:
    if not headers:
        return plan
    return replace(plan, headers={**headers, **plan.headers})
