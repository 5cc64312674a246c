"""Scenario regexes run in linear time (RE2), and what RE2 cannot run is refused at load."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mockgw.core.chat import ChatRequest, Message
from mockgw.scenarios.engine import Engine
from mockgw.scenarios.loader import ScenarioLoadError, load_scenarios, load_text
from mockgw.scenarios.regex import compile_regex

RULES = """\
scenario: guarded
rules:
  - name: all-a
    when:
      last_user: {{regex: '{pattern}'}}
    reply: {{text: only a's}}
  - name: body-a
    when:
      body: [{{path: messages.0.content, regex: '{pattern}'}}]
    reply: {{text: only a's in the body}}
"""


def _plan_rule(engine: Engine, text: str) -> str | None:
    request = ChatRequest(api="openai", model="gpt-4o", messages=(Message("user", text),))
    body = {"messages": [{"role": "user", "content": text}]}
    return engine.plan(request, body, {}, scenario="guarded", session="s").rule


def test_a_catastrophic_pattern_matches_in_linear_time() -> None:
    # Python's re took 1.1 s for 25 a's, doubling with each one more: 28 is ~9 s there.
    engine = Engine(load_text(RULES.format(pattern="^(a+)+$")))
    _plan_rule(engine, "warm-up")
    started = time.perf_counter()
    assert _plan_rule(engine, "a" * 28 + "!") == "<unmatched>"
    assert _plan_rule(engine, "a" * 100_000 + "!") == "<unmatched>"
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5, f"took {elapsed:.2f} s"
    assert _plan_rule(engine, "a" * 28) == "all-a"  # and it still matches what it should


def test_the_body_condition_is_linear_too() -> None:
    engine = Engine(load_text(RULES.format(pattern="^(a+)+$").replace("last_user", "model")))
    started = time.perf_counter()
    assert _plan_rule(engine, "a" * 28 + "!") == "<unmatched>"
    assert time.perf_counter() - started < 0.5
    assert _plan_rule(engine, "aaa") == "body-a"


def test_ignore_case_still_works() -> None:
    assert compile_regex("^inv", ignore_case=True).search("INVOICE") is not None
    assert compile_regex("^inv").search("INVOICE") is None


@pytest.mark.parametrize(
    ("pattern", "construct", "instead"),
    [
        (r"(a)\1", r"a backreference (\1, \2, ...)", "the text itself, repeated"),
        ("(?=a)b", "a lookahead (?=...)", "a separate condition under 'all'"),
        ("(?!a)b", "a negative lookahead (?!...)", "a separate condition under 'not'"),
        ("(?<=a)b", "a lookbehind (?<=...)", "a separate condition under 'all'"),
        ("(?<!a)b", "a negative lookbehind (?<!...)", "a separate condition under 'not'"),
        ("(?>a)", "an atomic group (?>...)", "a plain group (...)"),
        ("a++", "a possessive quantifier (*+, ++, ?+)", "the plain quantifier (*, +, ?)"),
        (r"a\Z", r"\Z", r"\z or $"),
    ],
)
def test_what_re2_cannot_run_is_refused_with_file_line_and_an_alternative(
    tmp_path: Path, pattern: str, construct: str, instead: str
) -> None:
    (tmp_path / "guard.yaml").write_text(RULES.format(pattern=pattern))
    with pytest.raises(ScenarioLoadError) as caught:
        load_scenarios([tmp_path])
    first = caught.value.problems[0]
    assert (first.file, first.line) == (str(tmp_path / "guard.yaml"), 5)
    assert f"regex {pattern!r} uses {construct}, which mockgw's linear-time" in first.message
    assert f"instead, use {instead}" in first.message
    # The body condition (line 9) is checked the same way, by the same compile point.
    assert [p.line for p in caught.value.problems] == [5, 9]
