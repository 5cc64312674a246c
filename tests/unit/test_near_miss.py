"""The near-miss report a request gets when no rule of its scenario matches."""

from __future__ import annotations

import re

from mockgw.core.chat import ChatRequest, Message, ToolSpec
from mockgw.core.failures import NoMatch, UnknownScenario
from mockgw.errors import ApiError
from mockgw.protocols.openai.codec import OpenAICodec
from mockgw.scenarios.engine import UNKNOWN, UNMATCHED, Engine
from mockgw.scenarios.loader import load_text
from mockgw.scenarios.matching import CONDITION_KEYS
from mockgw.scenarios.model import Condition

SUPPORT = """
scenario: support
rules:
  - name: refund
    when:
      api: anthropic
      last_user: {regex: 'refund|money back', ignore_case: true}
      stream: true
    reply: {text: Refunded.}
  - name: greet
    when:
      model: {glob: 'claude-*'}
      last_user: {contains: hello}
      system: {contains: friendly}
      not: {headers: {x-team: ops}}
    reply: {text: Hi!}
  - when:
      tools: [lookup]
      turn: {min: 2}
    reply: {text: Looked up.}
"""

REQUEST = ChatRequest(
    api="openai",
    model="gpt-4o",
    messages=(Message("user", "hello there"),),
    system="Be friendly.",
    tools=(ToolSpec("search"),),
)


def _near_miss(engine: Engine, scenario: str, request: ChatRequest = REQUEST) -> ApiError:
    plan = engine.plan(request, {}, {"x-team": "dev"}, scenario=scenario)
    assert isinstance(plan.failure, NoMatch)
    assert (plan.scenario, plan.rule) == (scenario, UNMATCHED)
    # As a codec words it: the report is the message, whichever the wire format.
    error = OpenAICodec().failure(plan.failure, model=request.model)
    assert (error.status, error.kind, error.code) == (404, "not_found_error", "mockgw_no_match")
    return error


def test_near_miss_report_golden() -> None:
    error = _near_miss(Engine(load_text(SUPPORT)), "support")
    assert error.message == (
        "mockgw: no rule of scenario 'support' matched this request.\n"
        "Nearest rule: 'greet' (3 of 4 conditions hold):\n"
        "  ✗ model matches glob 'claude-*' — found 'gpt-4o'\n"
        "  ✓ last user message contains 'hello'\n"
        "  ✓ system prompt contains 'friendly'\n"
        "  ✓ not (header x-team equals 'ops')\n"
        "Other rules: 'rules[2]' (2 failed), 'refund' (3 failed)"
    )


def test_ties_go_to_the_earlier_rule_in_the_file_whatever_the_priority() -> None:
    engine = Engine(
        load_text(
            """
scenario: ties
rules:
  - name: first
    when: {model: gpt-5}
    reply: {text: a}
  - name: second
    priority: 10
    when: {last_user: bye}
    reply: {text: b}
  - name: third
    when: {stream: true}
    reply: {text: c}
"""
        )
    )
    assert _near_miss(engine, "ties").message == (
        "mockgw: no rule of scenario 'ties' matched this request.\n"
        "Nearest rule: 'first' (0 of 1 conditions hold):\n"
        "  ✗ model equals 'gpt-5' — found 'gpt-4o'\n"
        "Other rules: 'second' (1 failed), 'third' (1 failed)"
    )


def test_times_and_state_show_as_failed_checks() -> None:
    engine = Engine(
        load_text(
            """
scenario: stateful
rules:
  - name: once
    times: 1
    when: {last_user: {contains: hello}}
    reply: {text: first}
  - name: after-login
    in_state: logged-in
    reply: {text: welcome back}
  - name: login
    when: {last_user: login}
    next_state: logged-in
    reply: {text: logged in}
"""
        )
    )
    plan = engine.plan(REQUEST, {}, {}, scenario="stateful")
    assert plan.completion is not None
    assert plan.completion.choices[0].text == "first"
    assert _near_miss(engine, "stateful").message == (
        "mockgw: no rule of scenario 'stateful' matched this request.\n"
        "Nearest rule: 'once' (1 of 2 conditions hold):\n"
        "  ✗ times: 1 (fires at most once per session) — already fired once\n"
        "  ✓ last user message contains 'hello'\n"
        "Other rules: 'after-login' (1 failed), 'login' (1 failed)"
    )
    # Another session starts afresh: 'once' fires again there.
    other = engine.plan(REQUEST, {}, {}, scenario="stateful", session="other")
    assert other.completion is not None
    assert other.completion.choices[0].text == "first"


def test_state_mismatch_is_reported_with_the_current_state() -> None:
    engine = Engine(
        load_text(
            """
scenario: gate
rules:
  - name: inside
    in_state: open
    when: {last_user: {contains: hello}}
    reply: {text: in}
  - name: opener
    when: {last_user: open sesame}
    next_state: open
    reply: {text: opened}
"""
        )
    )
    assert _near_miss(engine, "gate").message == (
        "mockgw: no rule of scenario 'gate' matched this request.\n"
        "Nearest rule: 'inside' (1 of 2 conditions hold):\n"
        "  ✗ state is 'open' — state is 'Started'\n"
        "  ✓ last user message contains 'hello'\n"
        "Other rules: 'opener' (1 failed)"
    )


def test_scenario_without_rules() -> None:
    engine = Engine(load_text("scenario: empty\nrules: []\n"))
    assert _near_miss(engine, "empty").message == (
        "mockgw: no rule of scenario 'empty' matched this request. The scenario has no rules."
    )


def test_unmatched_generate_answers_instead() -> None:
    text = SUPPORT.replace("scenario: support\n", "scenario: support\nunmatched: generate\n")
    engine = Engine(load_text(text))
    plan = engine.plan(REQUEST, {}, {"x-team": "dev"}, scenario="support")
    assert plan.failure is None
    assert plan.completion is not None
    assert plan.completion.choices[0].text
    assert plan.scenario == "support"


def test_unknown_scenario_names_the_nearest() -> None:
    weather = "scenario: weather\nrules: []\n"
    engine = Engine(load_text(SUPPORT + "---\n" + weather))
    plan = engine.plan(REQUEST, {}, {}, scenario="suport")
    assert isinstance(plan.failure, UnknownScenario)
    assert (plan.scenario, plan.rule) == ("suport", UNKNOWN)
    error = OpenAICodec().failure(plan.failure, model=REQUEST.model)
    assert (error.status, error.kind, error.code) == (
        404,
        "not_found_error",
        "mockgw_unknown_scenario",
    )
    assert error.message == (
        "mockgw: no scenario named 'suport'. Did you mean 'support'? "
        "Known scenarios: support, weather."
    )


def test_without_a_scenario_the_default_reply_is_generated() -> None:
    engine = Engine(load_text(SUPPORT))
    plan = engine.plan(REQUEST, {}, {})
    assert plan.completion is not None
    assert plan.scenario is None


def test_nested_tool_arguments_are_templated() -> None:
    from mockgw.core.chat import ChatRequest, Message
    from mockgw.scenarios.engine import Engine
    from mockgw.scenarios.loader import load_text

    engine = Engine(
        load_text(
            "scenario: s\nrules:\n  - reply:\n      tool_calls:\n        - name: f\n"
            "          arguments: {outer: {inner: '{{ last_user }}', list: ['{{ model }}', 3]}}\n"
        )
    )
    request = ChatRequest(api="openai", model="gpt-4o", messages=(Message("user", "hi"),))
    plan = engine.plan(request, {}, {}, scenario="s")
    assert plan.completion is not None
    (call,) = plan.completion.choices[0].tool_calls
    assert call.arguments == {"outer": {"inner": "hi", "list": ["gpt-4o", 3]}}


ODDS = """
scenario: odds
rules:
  - name: other
    when: {last_user: bye}
    probability: 0.5
    reply: {text: bye}
  - name: rare
    when: {last_user: {contains: hello}}
    probability: 0
    reply: {text: lucky}
"""


def test_a_lost_probability_draw_is_reported() -> None:
    # Selection drew for 'rare' and lost; the report shows that draw, not a second one.
    # 'rare' comes second in the file but is nearer: only its draw failed, and 'other'
    # failed a condition (its own draw was never made, so it is no check at all).
    engine = Engine(load_text(ODDS))
    message = _near_miss(engine, "odds").message
    assert "Nearest rule: 'rare' (1 of 2 conditions hold):" in message
    assert "  ✓ last user message contains 'hello'" in message
    assert re.search(r"  ✗ probability 0 — drew 0\.\d{3}\n", message)
    assert message.endswith("Other rules: 'other' (1 failed)")


def test_the_plan_carries_the_nearest_rules_checks_as_data() -> None:
    plan = Engine(load_text(ODDS)).plan(REQUEST, {}, {}, scenario="odds")
    assert isinstance(plan.failure, NoMatch)
    descriptions = [(c.description, c.passed) for c in plan.checks]
    assert descriptions == [("last user message contains 'hello'", True), ("probability 0", False)]
    for check in plan.checks:  # the report is their rendering
        assert check.description in plan.failure.report


def test_every_condition_key_compiles_in_field_order() -> None:
    # A key without a compiler would be accepted by the loader and then ignored: a rule
    # that matches more than its author wrote.
    assert list(CONDITION_KEYS) == list(Condition.model_fields)
