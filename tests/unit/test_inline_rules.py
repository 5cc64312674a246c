"""Inline rules are reported where the user wrote them, not in a re-dumped document.

``add_rules`` once wrapped the rules in a scenario and re-dumped it as YAML, so a typo
on the user's line 5 was reported at 8:5. Text keeps its own lines and columns; rules
given as Python data have none and are located by path alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from mockgw.gateway import MockGateway
from mockgw.scenarios.loader import Problem, ScenarioLoadError, load_rules

SOURCE = "<rules of session s1>"
RULES = (
    "- name: greet\n"  # 1
    "  reply: {text: hi}\n"  # 2
    "- name: ask\n"  # 3
    "  when:\n"  # 4
    "    last_usr: weather\n"  # 5: the typo, at column 5
    "  reply: {text: sunny}\n"  # 6
)
TYPO = "rules[1].when.last_usr: unknown key 'last_usr' (did you mean 'last_user'?)"


def test_a_typo_in_rules_text_is_reported_at_the_users_line_and_column() -> None:
    with pytest.raises(ScenarioLoadError) as caught:
        load_rules(RULES, scenario="inline-s1-1", source=SOURCE)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.column) == (SOURCE, 5, 5)
    assert str(problem).startswith(f"{SOURCE}:5:5: {TYPO}; valid keys: api, model,")


def test_session_add_rules_reports_the_typo_at_the_users_line() -> None:
    with MockGateway() as gateway:
        session = gateway.session("s1")
        with pytest.raises(ScenarioLoadError) as caught:
            session.add_rules(RULES)
    assert str(caught.value).startswith(f"{SOURCE}:5:5: {TYPO}")


def test_rules_given_as_data_are_reported_by_path_without_a_line() -> None:
    rules: list[Mapping[str, Any]] = [
        {"reply": {"text": "hi"}},
        {"when": {"last_usr": "weather"}, "reply": {"text": "x"}},
    ]
    with pytest.raises(ScenarioLoadError) as caught:
        load_rules(rules, scenario="inline-s1-1", source=SOURCE)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (None, None)
    assert str(problem).startswith(f"{SOURCE}: {TYPO}; valid keys:")
    with MockGateway() as gateway, pytest.raises(ScenarioLoadError) as caught:
        gateway.session("s1").add_rules(rules)
    assert str(caught.value).startswith(f"{SOURCE}: {TYPO}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "# a comment first\n- reply: {text: [unclosed\n",
            "3:1: invalid YAML: expected ',' or ']', but got '<stream end>'",
        ),
        (
            "- reply: {text: hi}\n- reply: {error: teapot}\n",
            "2:18: rules[1].reply.error: unknown error 'teapot'",
        ),
        (
            "- name: a\n  reply: {text: hi}\n  name: b\n",
            "3:3: rules[0].name: duplicate key 'name' (first at line 1)",
        ),
        (
            "- reply: {text: a}\n---\n- reply: {text: b}\n",
            "3:1: inline rules are one YAML document (a list of rules)",
        ),
        ("name: not-a-list\n", "1:1: rules: Input should be a valid list"),
        ("# nothing yet\n", "1:1: rules: no rules given; expected a YAML list"),
    ],
    ids=["yaml-syntax", "semantic", "duplicate-key", "two-documents", "not-a-list", "empty"],
)
def test_every_kind_of_problem_keeps_the_users_position(text: str, expected: str) -> None:
    with pytest.raises(ScenarioLoadError) as caught:
        load_rules(text, scenario="inline-s1-1", source=SOURCE)
    assert str(caught.value).startswith(f"{SOURCE}:{expected}")


def test_valid_rules_load_as_the_named_scenario() -> None:
    text = "# greeting first\n- name: greet\n  reply: {text: hi}\n"
    loaded = load_rules(text, scenario="inline-s1-1", source=SOURCE)
    assert (loaded.scenario.scenario, loaded.file, loaded.line) == ("inline-s1-1", SOURCE, 2)
    assert [r.name for r in loaded.scenario.rules] == ["greet"]
    data = load_rules([{"name": "greet", "reply": {"text": "hi"}}], scenario="x", source=SOURCE)
    assert data.scenario.rules == loaded.scenario.rules


def test_problem_without_a_line_renders_without_one() -> None:
    assert str(Problem("<rules>", None, None, "rules[0]: bad")) == "<rules>: rules[0]: bad"
    assert str(Problem("a.yaml", 2, 3, "rules[0]: bad")) == "a.yaml:2:3: rules[0]: bad"


def test_every_problem_of_data_rules_is_named_by_its_path() -> None:
    rules: list[Mapping[str, Any]] = [
        {"when": {"last_user": {"contans": "x"}}, "reply": {"text": "y"}},
        {"name": "a"},
    ]
    with pytest.raises(ScenarioLoadError) as caught:
        load_rules(rules, scenario="inline-s1-1", source=SOURCE)
    assert [str(p).split(";")[0] for p in caught.value.problems] == [
        f"{SOURCE}: rules[0].when.last_user.contans: unknown key 'contans' "
        "(did you mean 'contains'?)",
        f"{SOURCE}: rules[1]: give exactly one of 'reply' or 'replies'",
    ]
