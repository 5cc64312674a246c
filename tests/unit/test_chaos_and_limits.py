"""Seeded chaos, delay distributions, stream pacing and rate limits, without a network.

Everything random is drawn from a session's generator seeded from the server seed and
the session id, so these tests compare whole sequences of outcomes between engines
built alike. Rate limits run on a fake clock: no test here sleeps.
"""

from __future__ import annotations

import math
import random
import textwrap
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from mockgw.config import ServerConfig
from mockgw.core.chat import ChatRequest, Message
from mockgw.core.plan import Plan, Timing
from mockgw.core.ratelimit import Admission, RateLimiter
from mockgw.errors import ApiError
from mockgw.protocols.anthropic.codec import AnthropicCodec
from mockgw.protocols.codec import Codec
from mockgw.protocols.openai.codec import OpenAICodec
from mockgw.protocols.openai.failures import duration
from mockgw.scenarios.engine import Engine, session_seed
from mockgw.scenarios.loader import load_text
from mockgw.scenarios.model import Distribution, Limits, LogNormal, StreamTiming
from mockgw.scenarios.replies import draw
from mockgw.web.app import build_engine
from mockgw.web.delivery import _gaps

CHAOS = """
scenario: chaos
rules:
  - name: boom
    when: {last_user: boom}
    reply: {error: bad_gateway}
  - name: overloaded
    probability: 0.2
    reply: {error: overloaded}
  - name: reset
    probability: 0.1
    reply: {fault: reset}
  - name: slow
    probability: 0.3
    reply: {delay: {uniform: [10ms, 90ms]}}
---
scenario: echo
rules:
  - name: echo
    reply: {text: "{{ last_user }}"}
---
scenario: never
rules:
  - name: never
    probability: 0
    reply: {error: server_error}
  - name: fine
    reply: {text: fine}
---
scenario: always
rules:
  - name: always
    probability: 1
    reply: {error: server_error}
  - name: unreachable
    reply: {text: unreachable}
"""


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


CODECS: dict[str, Codec] = {"openai": OpenAICodec(), "anthropic": AnthropicCodec()}


def chat(text: str = "hi", *, api: str = "openai", max_tokens: int | None = None) -> ChatRequest:
    model = "gpt-4o" if api == "openai" else "claude-haiku-4-5"
    return ChatRequest(
        api=api,
        model=model,
        messages=(Message("user", text),),
        max_tokens=max_tokens,
    )


def engine(
    text: str = CHAOS,
    *,
    seed: int = 0,
    chaos: str | None = "chaos",
    clock: Callable[[], float] = time.monotonic,
) -> Engine:
    return Engine(load_text(textwrap.dedent(text)), chaos=chaos, seed=seed, clock=clock)


def refused(plan: Plan, api: str = "openai") -> ApiError:
    """The error a client of ``api`` gets for ``plan``, which must be a failure."""
    assert plan.failure is not None, plan
    return CODECS[api].failure(plan.failure, model=chat(api=api).model)


def shown(plan: Plan, api: str = "openai") -> dict[str, str]:
    """The headers a client of ``api`` sees with an answer to ``plan``."""
    return {**CODECS[api].limit_headers(plan.limits), **plan.headers}


def outcome(eng: Engine, session: str, text: str = "hi", scenario: str = "echo") -> str:
    """What a client would observe, as a comparable string."""
    return describe(eng.plan(chat(text), {}, {}, scenario=scenario, session=session))


def describe(plan: Plan) -> str:
    if plan.failure is not None:
        return f"{plan.rule}:{refused(plan).status}"
    if plan.fault is not None:
        return f"{plan.rule}:{plan.fault}"
    assert plan.completion is not None
    return f"{plan.rule}:ok:{plan.timing.delay:.6f}"


def run(eng: Engine, session: str, count: int = 200) -> list[str]:
    return [outcome(eng, session) for _ in range(count)]


# --- seeded chaos ------------------------------------------------------------------------


def test_same_seed_replays_the_same_failures() -> None:
    first = run(engine(seed=42), "s1")
    second = run(engine(seed=42), "s1")
    assert first == second
    kinds = {o.split(":")[0] for o in first}
    # All three random rules fired and some requests fell through to the scenario.
    assert kinds == {"overloaded", "reset", "slow", "echo"}
    assert 20 <= sum(o.startswith("overloaded") for o in first) <= 60


def test_a_different_seed_or_session_gives_a_different_sequence() -> None:
    base = run(engine(seed=42), "s1")
    assert run(engine(seed=43), "s1") != base
    assert run(engine(seed=42), "s2") != base


def test_sessions_draw_from_independent_generators() -> None:
    alone = run(engine(seed=5), "mine", 100)
    eng = engine(seed=5)
    interleaved = []
    for index in range(100):
        interleaved.append(outcome(eng, "mine"))
        for _ in range(index % 3):
            outcome(eng, "other")
            outcome(eng, f"other-{index}")
    assert interleaved == alone


def test_session_generator_is_seeded_from_seed_and_session() -> None:
    # The documented derivation: a user can predict a run from --seed and the session.
    eng = engine(
        "scenario: p\nrules:\n  - probability: 0.5\n    reply: {error: server_error}\n"
        "  - reply: {text: ok}\n",
        seed=9,
        chaos=None,
    )
    rng = random.Random(session_seed(9, "abc"))
    expected = ["rules[0]" if rng.random() < 0.5 else "rules[1]" for _ in range(50)]
    got = [eng.plan(chat(), {}, {}, scenario="p", session="abc").rule or "" for _ in range(50)]
    assert got == expected


def test_reset_session_replays_from_the_start() -> None:
    eng = engine(seed=3)
    first = run(eng, "s", 50)
    eng.reset_session("s")
    assert run(eng, "s", 50) == first


def test_chaos_is_tried_before_the_selected_scenario() -> None:
    eng = engine(seed=1)
    plan = eng.plan(chat("boom"), {}, {}, scenario="echo", session="x")
    assert (plan.scenario, plan.rule) == ("chaos", "boom")
    assert refused(plan).status == 502


def test_chaos_falls_through_when_no_rule_fires() -> None:
    # With every probability at 0 nothing fires: the selected scenario answers.
    quiet = CHAOS.replace("probability: 0.2", "probability: 0").replace(
        "probability: 0.1", "probability: 0"
    )
    eng = engine(quiet.replace("probability: 0.3", "probability: 0"), seed=1)
    for _ in range(50):
        plan = eng.plan(chat("hello"), {}, {}, scenario="echo", session="x")
        assert (plan.scenario, plan.rule) == ("echo", "echo")
    # And without a selected scenario, the generated reply.
    plan = eng.plan(chat("hello"), {}, {}, session="x")
    assert plan.completion is not None
    assert plan.scenario is None


def test_chaos_selected_as_the_scenario_is_not_tried_twice() -> None:
    # --chaos X with a request that selects X: each probability is drawn once, not twice,
    # so the outcomes are exactly those of X selected on a server without --chaos.
    with_chaos = engine(seed=11)
    without = engine(seed=11, chaos=None)
    assert [outcome(with_chaos, "t", scenario="chaos") for _ in range(200)] == [
        outcome(without, "t", scenario="chaos") for _ in range(200)
    ]


@pytest.mark.parametrize("by", ["name", "file"])
def test_build_engine_chaos_by_name_or_file(tmp_path: Path, by: str) -> None:
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "echo.yaml").write_text("scenario: echo\nrules:\n  - reply: {text: echoed}\n")
    chaos_text = (
        "scenario: file-chaos\nrules:\n  - when: {last_user: boom}\n"
        "    reply: {error: overloaded}\n  - probability: 0\n    reply: {fault: reset}\n"
    )
    if by == "name":
        (scenarios / "chaos.yaml").write_text(chaos_text)
        chaos = "file-chaos"
    else:
        (tmp_path / "chaos.yaml").write_text(chaos_text)
        chaos = str(tmp_path / "chaos.yaml")
    eng = build_engine(ServerConfig(scenarios_dir=scenarios, chaos=chaos, seed=4))
    assert eng.chaos == "file-chaos"
    plan = eng.plan(chat("boom"), {}, {}, scenario="echo", session="s")
    assert plan.rule == "rules[0]"
    assert plan.scenario == "file-chaos"
    assert refused(plan).status == 503
    for _ in range(20):  # probability 0 never fires: falls through to echo
        plan = eng.plan(chat("calm"), {}, {}, scenario="echo", session="s")
        assert plan.scenario == "echo"


@pytest.mark.parametrize(("scenario", "rule"), [("never", "fine"), ("always", "always")])
def test_probability_zero_never_one_always(scenario: str, rule: str) -> None:
    eng = engine(chaos=None, seed=2)
    rules = {eng.plan(chat(), {}, {}, scenario=scenario, session=f"s{i}").rule for i in range(300)}
    assert rules == {rule}


# --- delays and pacing ---------------------------------------------------------------------


def test_uniform_delay_within_bounds_and_reproducible() -> None:
    spec = Distribution.model_validate({"uniform": ["100ms", "300ms"]})
    draws = [draw(spec, random.Random(7)) for _ in range(3)]
    assert draws[0] == draws[1] == draws[2]
    rng = random.Random(7)
    values = [draw(spec, rng) for _ in range(1000)]
    assert all(0.1 <= v <= 0.3 for v in values)
    assert max(values) - min(values) > 0.15  # actually spread, not a constant
    assert draw(0.25, rng) == 0.25


def test_lognormal_delay_capped_and_reproducible() -> None:
    spec = Distribution.model_validate(
        {"lognormal": {"median": "50ms", "sigma": 1.5, "max": "200ms"}}
    )
    rng1, rng2 = random.Random(3), random.Random(3)
    first = [draw(spec, rng1) for _ in range(2000)]
    assert first == [draw(spec, rng2) for _ in range(2000)]
    assert all(0 < v <= 0.2 for v in first)
    assert first.count(0.2) > 100  # sigma 1.5: a real tail, cut at max
    median = sorted(first)[len(first) // 2]
    assert 0.04 <= median <= 0.06


def test_lognormal_median_above_max_is_rejected() -> None:
    with pytest.raises(ValidationError, match="median"):
        LogNormal.model_validate({"median": "2s", "max": "1s"})


def test_reply_delay_distribution_through_the_engine() -> None:
    text = "scenario: d\nrules:\n  - reply: {delay: {uniform: [10ms, 20ms]}}\n"
    delays = [
        [engine(text, chaos=None, seed=1).plan(chat(), {}, {}, scenario="d", session="s")]
        for _ in range(2)
    ]
    assert delays[0][0].timing.delay == delays[1][0].timing.delay
    eng = engine(text, chaos=None, seed=1)
    values = [eng.plan(chat(), {}, {}, scenario="d", session="s").timing.delay for _ in range(200)]
    assert all(0.01 <= v <= 0.02 for v in values)
    assert len(set(values)) > 100


def test_tokens_per_second_sets_the_gap() -> None:
    assert StreamTiming.model_validate({"tokens_per_second": 50}).gap == pytest.approx(0.02)
    assert StreamTiming.model_validate({"every": "15ms"}).gap == pytest.approx(0.015)
    with pytest.raises(ValidationError, match="not both"):
        StreamTiming.model_validate({"every": "15ms", "tokens_per_second": 50})
    text = "scenario: t\nrules:\n  - reply: {stream: {ttft: 1s, tokens_per_second: 40}}\n"
    plan = engine(text, chaos=None).plan(chat(), {}, {}, scenario="t", session="s")
    assert plan.timing.every == pytest.approx(0.025)
    assert plan.timing.ttft == 1.0


def test_jitter_gaps_within_bounds_and_reproducible() -> None:
    text = (
        "scenario: j\nrules:\n"
        "  - reply: {stream: {ttft: {uniform: [50ms, 60ms]}, every: 20ms, jitter: 0.5}}\n"
    )
    plans = [
        engine(text, chaos=None, seed=8).plan(chat(), {}, {}, scenario="j", session="s")
        for _ in range(2)
    ]
    assert plans[0].timing == plans[1].timing
    gaps = _gaps(plans[0].timing, 500)
    assert gaps == _gaps(plans[1].timing, 500)
    assert 0.05 <= gaps[0] <= 0.06  # the first gap is the time to first token
    assert all(0.01 - 1e-12 <= g <= 0.03 + 1e-12 for g in gaps[1:])
    assert min(gaps[1:]) < 0.012
    assert max(gaps[1:]) > 0.028
    # The session's next stream gets other gaps.
    eng = engine(text, chaos=None, seed=8)
    seeds = {eng.plan(chat(), {}, {}, scenario="j", session="s").timing.seed for _ in range(5)}
    assert len(seeds) == 5
    # No jitter: every gap is exactly ``every``.
    assert _gaps(Timing(ttft=0.1, every=0.02), 5) == [0.1, 0.02, 0.02, 0.02, 0.02]


# --- rate limiter on a fake clock -------------------------------------------------------------


def limiter(clock: FakeClock, **limits: object) -> RateLimiter:
    return RateLimiter(Limits.model_validate(limits), clock=clock)


def test_rpm_bucket_refills_continuously() -> None:
    clock = FakeClock()
    rl = limiter(clock, rpm=60)
    for _ in range(60):
        assert rl.admit("k", 0).granted
    refused = rl.admit("k", 0)
    assert not refused.granted
    assert refused.retry_after == pytest.approx(1.0)
    assert refused.limited_by == "requests"
    clock.advance(0.25)
    assert rl.admit("k", 0).retry_after == pytest.approx(0.75)
    clock.advance(0.75)
    assert rl.admit("k", 0).granted  # exactly one request refilled
    assert not rl.admit("k", 0).granted
    clock.advance(10)
    assert sum(rl.admit("k", 0).granted for _ in range(20)) == 10


def test_retry_after_is_the_real_wait() -> None:
    clock = FakeClock()
    rl = limiter(clock, rpm=120)  # two requests a second
    for _ in range(120):
        assert rl.admit("k", 0).granted
    wait = rl.admit("k", 0).retry_after
    assert wait == pytest.approx(0.5)
    clock.advance(wait * 0.99)
    assert not rl.admit("k", 0).granted
    clock.advance(wait * 0.011)
    assert rl.admit("k", 0).granted


def test_tpm_counts_prompt_plus_max_tokens() -> None:
    clock = FakeClock()
    rl = limiter(clock, tpm=1000)
    assert rl.admit("k", 600).granted
    refusal = rl.admit("k", 500)
    assert not refusal.granted
    assert refusal.limited_by == "tokens"
    assert refusal.requested == 500
    assert refusal.retry_after == pytest.approx(100 / (1000 / 60))
    # Through the engine: the cost is the prompt's tokens plus max_tokens.
    text = "scenario: t\nlimits: {tpm: 1000}\nunmatched: generate\nrules: []\n"
    eng = engine(text, chaos=None, clock=clock)
    plan = eng.plan(chat(max_tokens=400), {}, {}, scenario="t", client_key="a")
    remaining = int(shown(plan)["x-ratelimit-remaining-tokens"])
    prompt = 1000 - 400 - remaining
    assert 0 < prompt < 50
    plan = eng.plan(chat(max_tokens=400), {}, {}, scenario="t", client_key="a")
    assert int(shown(plan)["x-ratelimit-remaining-tokens"]) == 1000 - 2 * (400 + prompt)
    error = refused(eng.plan(chat(max_tokens=400), {}, {}, scenario="t", client_key="a"))
    assert error.status == 429
    assert "TPM" in error.message
    assert error.wire_type == "tokens"


def test_rpm_and_tpm_together_the_longer_wait_wins() -> None:
    clock = FakeClock()
    rl = limiter(clock, rpm=6, tpm=600)  # 0.1 request/s, 10 tokens/s
    assert rl.admit("k", 590).granted
    refused = rl.admit("k", 100)
    assert refused.limited_by == "tokens"
    assert refused.retry_after == pytest.approx(9.0)
    clock.advance(9.0)
    # 0.9 requests refilled on top of 5 left: the token wait was the binding one.
    assert rl.admit("k", 100).granted


def test_request_larger_than_the_bucket_gets_a_bounded_retry_after() -> None:
    clock = FakeClock()
    rl = limiter(clock, tpm=1000)
    refused = rl.admit("k", 5000)
    assert not refused.granted
    assert refused.too_large
    assert math.isfinite(refused.retry_after)
    assert refused.retry_after == pytest.approx(60.0)
    # It did not spend the bucket: a request that fits still goes through.
    assert rl.admit("k", 1000).granted


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_too_large_request_is_not_retryable(api: str) -> None:
    text = "scenario: t\nlimits: {tpm: 100}\nunmatched: generate\nrules: []\n"
    eng = engine(text, chaos=None, clock=FakeClock())
    plan = eng.plan(chat(api=api, max_tokens=500), {}, {}, scenario="t", client_key="a")
    error = refused(plan, api)
    assert error.status == 429
    # Retrying can never help: SDKs obey x-should-retry, and the wait is bounded.
    assert error.headers["x-should-retry"] == "false"
    assert error.headers["retry-after"] == "60"
    assert "100" in error.message
    assert ("Request too large" if api == "openai" else "more than the rate limit") in (
        error.message
    )


def test_per_session_and_per_key_buckets() -> None:
    text = """
    scenario: by-key
    limits: {rpm: 2}
    unmatched: generate
    rules: []
    ---
    scenario: by-session
    limits: {rpm: 2, per: session}
    unmatched: generate
    rules: []
    """
    eng = engine(text, chaos=None, clock=FakeClock())

    def ok(scenario: str, key: str, session: str) -> bool:
        plan = eng.plan(chat(), {}, {}, scenario=scenario, session=session, client_key=key)
        return plan.failure is None

    # per key: sessions share a key's bucket, another key has its own.
    assert [ok("by-key", "k1", s) for s in ("a", "b", "c")] == [True, True, False]
    assert ok("by-key", "k2", "a")
    # per session: keys share a session's bucket, another session has its own.
    assert [ok("by-session", k, "a") for k in ("k1", "k2", "k3")] == [True, True, False]
    assert ok("by-session", "k1", "b")
    # Resetting a session refills its bucket (and only its own).
    assert ok("by-session", "k1", "b")
    assert not ok("by-session", "k1", "b")
    eng.reset_session("a")
    assert ok("by-session", "k1", "a")
    assert not ok("by-session", "k1", "b")


def test_bucket_key_never_holds_the_api_key() -> None:
    limits = Limits(rpm=1)
    key = RateLimiter.bucket_key(limits, "sk-secret", "s")
    assert "sk-secret" not in key
    assert key != RateLimiter.bucket_key(limits, "sk-other", "s")


def headers_of(admission: Admission, api: str) -> dict[str, str]:
    return CODECS[api].limit_headers(admission.buckets)


def test_openai_headers_count_down_and_reset() -> None:
    clock = FakeClock()
    rl = limiter(clock, rpm=60, tpm=6000)
    seen = []
    for _ in range(3):
        headers = headers_of(rl.admit("k", 100), "openai")
        seen.append(headers)
        clock.advance(0.1)
    assert [h["x-ratelimit-remaining-requests"] for h in seen] == ["59", "58", "57"]
    assert [h["x-ratelimit-remaining-tokens"] for h in seen] == ["5900", "5810", "5720"]
    assert {h["x-ratelimit-limit-requests"] for h in seen} == {"60"}
    assert {h["x-ratelimit-limit-tokens"] for h in seen} == {"6000"}
    # Time until the bucket is full again: 1 request at 1/s, then 1.9 and 2.8.
    assert [h["x-ratelimit-reset-requests"] for h in seen] == ["1s", "1.9s", "2.8s"]
    assert seen[0]["x-ratelimit-reset-tokens"] == "1s"  # 100 tokens at 100/s
    clock.advance(0.4)
    later = headers_of(rl.admit("k", 0), "openai")
    # 2.8 s to refill less 0.5 s elapsed, plus 1 s for this request
    assert later["x-ratelimit-reset-requests"] == "3.3s"
    assert later["x-ratelimit-reset-tokens"] == "2.3s"  # 230 tokens short at 100/s


def test_openai_duration_format() -> None:
    assert duration(0.5) == "500ms"
    assert duration(0.0004) == "0ms"
    assert duration(1) == "1s"
    assert duration(6.5) == "6.5s"
    assert duration(60) == "1m0s"
    assert duration(83) == "1m23s"


def test_anthropic_headers_count_down_with_rfc3339_reset() -> None:
    clock = FakeClock()
    rl = limiter(clock, rpm=50)
    before = datetime.now(timezone.utc).replace(microsecond=0)
    seen = [headers_of(rl.admit("k", 10), "anthropic") for _ in range(5)]
    after = datetime.now(timezone.utc)
    assert [h["anthropic-ratelimit-requests-remaining"] for h in seen] == [
        "49",
        "48",
        "47",
        "46",
        "45",
    ]
    assert {h["anthropic-ratelimit-requests-limit"] for h in seen} == {"50"}
    assert not any(k.startswith("x-ratelimit") for k in seen[0])
    reset = datetime.strptime(seen[-1]["anthropic-ratelimit-requests-reset"], "%Y-%m-%dT%H:%M:%SZ")
    reset = reset.replace(tzinfo=timezone.utc)
    # 5 requests at 50/min take 6 s to refill.
    assert before.timestamp() + 5 <= reset.timestamp() <= after.timestamp() + 6


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_engine_429_carries_the_real_wait_and_honest_headers(api: str) -> None:
    clock = FakeClock()
    text = "scenario: r\nlimits: {rpm: 60}\nunmatched: generate\nrules: []\n"
    eng = engine(text, chaos=None, clock=clock)
    remaining = []
    for _ in range(60):
        plan = eng.plan(chat(api=api), {}, {}, scenario="r", client_key="k")
        name = (
            "x-ratelimit-remaining-requests"
            if api == "openai"
            else "anthropic-ratelimit-requests-remaining"
        )
        remaining.append(int(shown(plan, api)[name]))
    assert remaining == list(range(59, -1, -1))
    clock.advance(0.3)
    error = refused(eng.plan(chat(api=api), {}, {}, scenario="r", client_key="k"), api)
    assert error.status == 429
    assert float(error.headers["retry-after-ms"]) == pytest.approx(700)
    assert error.headers["retry-after"] == "1"
    assert "x-should-retry" not in error.headers or error.headers["x-should-retry"] == "true"
    # Only the configured bucket's headers: no stand-in "tokens exhausted" values.
    assert not any("tokens" in name for name in error.headers)
    if api == "openai":
        assert error.headers["x-ratelimit-remaining-requests"] == "0"
        assert "Limit 60, Used 60, Requested 1" in error.message
        assert "try again in 700ms" in error.message
    else:
        assert error.headers["anthropic-ratelimit-requests-remaining"] == "0"
        assert "60 requests per minute" in error.message
    clock.advance(0.7)
    assert eng.plan(chat(api=api), {}, {}, scenario="r", client_key="k").completion is not None


def test_chaos_limits_apply_to_every_request() -> None:
    text = """
    scenario: limited
    limits: {rpm: 2, per: session}
    rules: []
    ---
    scenario: echo
    rules:
      - reply: {text: "{{ last_user }}"}
    """
    eng = engine(text, chaos="limited", clock=FakeClock())
    first = eng.plan(chat(), {}, {}, scenario="echo", session="s")
    assert shown(first)["x-ratelimit-remaining-requests"] == "1"
    assert first.rule == "rules[0]"
    eng.plan(chat(), {}, {}, session="s")  # no scenario selected: still charged
    assert refused(eng.plan(chat(), {}, {}, scenario="echo", session="s")).status == 429


def test_limit_reload_keeps_buckets_unless_limits_change() -> None:
    clock = FakeClock()
    text = "scenario: r\nlimits: {rpm: 1}\nunmatched: generate\nrules: []\n"
    eng = engine(text, chaos=None, clock=clock)
    eng.plan(chat(), {}, {}, scenario="r")
    eng.replace(load_text(text))
    assert refused(eng.plan(chat(), {}, {}, scenario="r")).status == 429
    eng.replace(load_text(text.replace("rpm: 1", "rpm: 2")))
    assert eng.plan(chat(), {}, {}, scenario="r").completion is not None
