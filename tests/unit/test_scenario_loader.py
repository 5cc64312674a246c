"""Broken scenario files are refused with ``file:line:column: message`` problems.

Each case is one small file written into ``tmp_path``; the expected problem names the
line and column a user must edit and the exact message they will read.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from mockgw.scenarios.library import LIBRARY_DIR
from mockgw.scenarios.loader import (
    Problem,
    ScenarioLoadError,
    check_scenarios,
    load_scenarios,
    load_text,
    scenario_files,
    valid_keys,
)

CONDITION_KEYS = (
    "api, model, stream, last_user, system, any_message, tools, tool_choice, tool_result, "
    "turn, headers, metadata, response_format, body, counter, all, any, not"
)
TEXT_MATCH_KEYS = "equals, contains, regex, glob, ignore_case"
PRESETS = (
    "rate_limit, overloaded, server_error, bad_gateway, unavailable, gateway_timeout, "
    "request_timeout, authentication, permission, not_found, request_too_large, "
    "context_length_exceeded, insufficient_quota, billing, content_filter, "
    "ramp_limit_exceeded, enforced_spend_limit_reached, "
    "request_body_too_large_after_decoding, compaction_unavailable, "
    "thread_not_found, thread_already_continued, thread_continue_in_flight, "
    "thread_fingerprint_mismatch, thread_unsupported_request"
)
TEMPLATE_ROOTS = (
    "last_user, system, model, api, turn, count, state, counter, header, metadata, "
    "tool_result, request"
)


class Case(NamedTuple):
    id: str
    yaml: str
    line: int
    column: int
    message: str


CASES = [
    Case(
        "yaml-syntax",
        "scenario: a\nrules:\n  - reply: {text: [unclosed\n",
        4,
        1,
        "invalid YAML: expected ',' or ']', but got '<stream end>'",
    ),
    Case(
        "yaml-tab",
        "scenario: a\nrules:\n\t- reply: {text: x}\n",
        3,
        1,
        "invalid YAML: found character '\\t' that cannot start any token",
    ),
    Case(
        "document-is-a-list",
        "- scenario: a\n- rules: []\n",
        1,
        1,
        "a scenario document must be a mapping with 'scenario' and 'rules'",
    ),
    Case(
        "document-is-a-string",
        "# comment\nhello\n",
        2,
        1,
        "a scenario document must be a mapping with 'scenario' and 'rules'",
    ),
    Case(
        "missing-scenario",
        "description: nameless\nrules: []\n",
        1,
        1,
        "scenario: missing required key 'scenario'",
    ),
    Case(
        "bad-scenario-name",
        "scenario: 'my scenario!'\nrules: []\n",
        1,
        1,
        "scenario: invalid scenario name 'my scenario!'; use letters, digits, '_', '.' and "
        "'-', starting with a letter or digit",
    ),
    Case(
        "unknown-top-level-key",
        "scenario: a\nrule: []\n",
        2,
        1,
        "rule: unknown key 'rule' (did you mean 'rules'?); "
        "valid keys: scenario, description, unmatched, limits, profile, rules",
    ),
    Case(
        "duplicate-key",
        "scenario: a\nrules:\n  - reply: {text: x}\n    reply: {text: y}\n",
        4,
        5,
        "rules[0].reply: duplicate key 'reply' (first at line 3)",
    ),
    Case(
        "unknown-condition-key",
        "scenario: a\nrules:\n  - when:\n      last_usr: hi\n    reply: {text: x}\n",
        4,
        7,
        "rules[0].when.last_usr: unknown key 'last_usr' (did you mean 'last_user'?); "
        f"valid keys: {CONDITION_KEYS}",
    ),
    Case(
        "unknown-text-operator",
        "scenario: a\nrules:\n  - when:\n      last_user: {contain: hi}\n    reply: {text: x}\n",
        4,
        19,
        "rules[0].when.last_user.contain: unknown key 'contain' (did you mean 'contains'?); "
        f"valid keys: {TEXT_MATCH_KEYS}",
    ),
    Case(
        "two-text-operators",
        "scenario: a\nrules:\n  - when:\n      last_user: {contains: hi, regex: h.}\n"
        "    reply: {text: x}\n",
        4,
        7,
        "rules[0].when.last_user: give exactly one of 'equals', 'contains', 'regex' or 'glob' "
        "(got contains, regex)",
    ),
    Case(
        "no-text-operator",
        "scenario: a\nrules:\n  - when:\n      system: {ignore_case: true}\n    reply: {text: x}\n",
        4,
        7,
        "rules[0].when.system: give exactly one of 'equals', 'contains', 'regex' or 'glob'",
    ),
    Case(
        "invalid-regex",
        "scenario: a\nrules:\n  - when:\n      last_user: {regex: '(['}\n    reply: {text: x}\n",
        4,
        7,
        "rules[0].when.last_user: invalid regex '([': missing ]: [",
    ),
    Case(
        "bad-api-literal",
        "scenario: a\nrules:\n  - when: {api: opnai}\n    reply: {text: x}\n",
        3,
        12,
        "rules[0].when.api: invalid value 'opnai' (did you mean 'openai'?); "
        "valid: openai, anthropic",
    ),
    Case(
        "bad-unmatched-literal",
        "scenario: a\nunmatched: generat\nrules: []\n",
        2,
        1,
        "unmatched: invalid value 'generat' (did you mean 'generate'?); valid: error, generate",
    ),
    Case(
        "stream-is-a-string",
        "scenario: a\nrules:\n  - when:\n      stream: 'yes'\n    reply: {text: x}\n",
        4,
        7,
        "rules[0].when.stream: Input should be a valid boolean",
    ),
    Case(
        "times-zero",
        "scenario: a\nrules:\n  - times: 0\n    reply: {text: x}\n",
        3,
        5,
        "rules[0].times: Input should be greater than or equal to 1",
    ),
    Case(
        "times-is-a-string",
        "scenario: a\nrules:\n  - times: '2'\n    reply: {text: x}\n",
        3,
        5,
        "rules[0].times: Input should be a valid integer",
    ),
    Case(
        "reply-and-replies",
        "scenario: a\nrules:\n  - reply: {text: x}\n    replies: [{text: y}]\n",
        3,
        5,
        "rules[0]: give exactly one of 'reply' or 'replies'",
    ),
    Case(
        "neither-reply-nor-replies",
        "scenario: a\nrules:\n  - name: lonely\n",
        3,
        5,
        "rules[0]: give exactly one of 'reply' or 'replies'",
    ),
    Case(
        "error-reply-with-text",
        "scenario: a\nrules:\n  - name: r\n    reply:\n      error: rate_limit\n      text: hi\n",
        4,
        5,
        "rules[0].reply: an error reply cannot also have text",
    ),
    Case(
        "text-and-json",
        "scenario: a\nrules:\n  - reply:\n      text: hi\n      json: {a: 1}\n",
        3,
        5,
        "rules[0].reply: give either 'text' or 'json', not both",
    ),
    Case(
        "json-generate-typo",
        "scenario: a\nrules:\n  - reply:\n      json: {generate: schma}\n",
        4,
        7,
        "rules[0].reply.json: invalid generate 'schma'; the only generated JSON is "
        "{generate: schema}",
    ),
    Case(
        "bad-delay",
        "scenario: a\nrules:\n  - reply:\n      text: hi\n      delay: 5 sec\n",
        5,
        7,
        "rules[0].reply.delay: '5 sec' is not a duration; use a number with ms, s or m, "
        "e.g. '150ms'",
    ),
    Case(
        "bad-stream-ttft",
        "scenario: a\nrules:\n  - reply:\n      text: hi\n      stream: {ttft: fast}\n",
        5,
        16,
        "rules[0].reply.stream.ttft: 'fast' is not a duration; use a number with ms, s or m, "
        "e.g. '150ms'",
    ),
    Case(
        "bad-finish-reason",
        "scenario: a\nrules:\n  - reply:\n      text: hi\n      finish_reason: done\n",
        5,
        7,
        "rules[0].reply.finish_reason: unknown finish_reason 'done'; valid: content_filter, "
        "context_window, end, end_turn, length, max_tokens, model_context_window_exceeded, "
        "pause, pause_turn, refusal, stop, stop_sequence, tool_calls, tool_use",
    ),
    Case(
        "unknown-error-preset",
        "scenario: a\nrules:\n  - reply:\n      error: rate_limt\n",
        4,
        14,
        "rules[0].reply.error: unknown error 'rate_limt' (did you mean 'rate_limit'?); "
        f"valid: {PRESETS}",
    ),
    Case(
        "error-status-out-of-range",
        "scenario: a\nrules:\n  - reply:\n      error: {status: 200}\n",
        4,
        15,
        "rules[0].reply.error.status: Input should be greater than or equal to 400",
    ),
    Case(
        "bad-template-root",
        "scenario: a\nrules:\n  - reply:\n      text: 'You said {{ last_usr }}'\n",
        4,
        13,
        "rules[0].reply.text: unknown template value 'last_usr' (did you mean 'last_user'?); "
        f"valid: {TEMPLATE_ROOTS}",
    ),
    Case(
        "unbalanced-template",
        "scenario: a\nrules:\n  - reply:\n      text: 'You said {{ last_user'\n",
        4,
        13,
        "rules[0].reply.text: unbalanced '{{' / '}}' in template",
    ),
    Case(
        "unreadable-template-hole",
        "scenario: a\nrules:\n  - reply:\n      headers: {x-echo: '{{ 1x }}'}\n",
        4,
        25,
        "rules[0].reply.headers.x-echo: cannot read template hole '{{ 1x }}': "
        "write {{ path }} or {{ path | default('text') }}",
    ),
    Case(
        "in-state-never-entered",
        "scenario: a\nrules:\n  - in_state: waiting\n    reply: {text: x}\n"
        "  - next_state: waited\n    reply: {text: y}\n",
        3,
        15,
        "rules[0].in_state: state 'waiting' is never entered (did you mean 'waited'?); "
        "states: Started, waited",
    ),
    Case(
        "duplicate-rule-name",
        "scenario: a\nrules:\n  - name: r\n    reply: {text: x}\n"
        "  - name: r\n    reply: {text: y}\n",
        5,
        11,
        "rules[1].name: duplicate rule name 'r' (also rules[0])",
    ),
    Case(
        "error-in-replies-sequence",
        "scenario: a\nrules:\n  - replies:\n      - text: ok\n      - error: nope\n",
        5,
        16,
        f"rules[0].replies[1].error: unknown error 'nope'; valid: {PRESETS}",
    ),
    Case(
        "nested-not-any-unknown-key",
        "scenario: a\nrules:\n  - when:\n      not:\n        any:\n          - last_user: hi\n"
        "          - modle: gpt-4o\n    reply: {text: x}\n",
        7,
        13,
        "rules[0].when.not.any[1].modle: unknown key 'modle' (did you mean 'model'?); "
        f"valid keys: {CONDITION_KEYS}",
    ),
    Case(
        "nested-any-bad-regex",
        "scenario: a\nrules:\n  - when:\n      any:\n        - last_user: hi\n"
        "        - system: {regex: '(['}\n    reply: {text: x}\n",
        6,
        11,
        "rules[0].when.any[1].system: invalid regex '([': missing ]: [",
    ),
    Case(
        "header-matcher-unknown-operator",
        "scenario: a\nrules:\n  - when:\n      headers:\n        x-team: {glb: 'a*'}\n"
        "    reply: {text: x}\n",
        5,
        18,
        "rules[0].when.headers.x-team.glb: unknown key 'glb' (did you mean 'glob'?); "
        f"valid keys: {TEXT_MATCH_KEYS}",
    ),
    Case(
        "tool-result-unknown-key",
        "scenario: a\nrules:\n  - when: {tool_result: {nme: get_weather}}\n    reply: {text: x}\n",
        3,
        26,
        "rules[0].when.tool_result.nme: unknown key 'nme' (did you mean 'name'?); "
        "valid keys: name, contains, is_error",
    ),
    Case(
        "rules-not-a-list",
        "scenario: a\nrules: {name: x}\n",
        2,
        1,
        "rules: Input should be a valid list",
    ),
]


def _problems(tmp_path: Path, files: dict[str, str]) -> tuple[Problem, ...]:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioLoadError) as caught:
        load_scenarios([tmp_path], apis=("openai", "anthropic"))
    return caught.value.problems


def test_cases_are_distinct() -> None:
    assert len(CASES) >= 18
    assert len({c.id for c in CASES}) == len(CASES)
    assert len({c.yaml for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_file_is_refused_with_its_location(tmp_path: Path, case: Case) -> None:
    problems = _problems(tmp_path, {"broken.yaml": case.yaml})
    file = str(tmp_path / "broken.yaml")
    assert problems == (Problem(file, case.line, case.column, case.message),)
    assert str(problems[0]) == f"{file}:{case.line}:{case.column}: {case.message}"


def test_error_message_lists_every_problem(tmp_path: Path) -> None:
    problems = _problems(tmp_path, {"broken.yaml": CASES[6].yaml})
    with pytest.raises(ScenarioLoadError) as caught:
        load_scenarios([tmp_path])
    assert str(caught.value) == "\n".join(str(p) for p in problems)


def test_duplicate_scenario_across_files_names_both(tmp_path: Path) -> None:
    first = "scenario: twin\nrules: []\n"
    second = "# the same name again\nscenario: twin\nrules: []\n"
    problems = _problems(tmp_path, {"a.yaml": first, "b.yml": second})
    a, b = tmp_path / "a.yaml", tmp_path / "b.yml"
    assert problems == (Problem(str(b), 2, 1, f"scenario 'twin' is already defined at {a}:1"),)


def test_every_problem_of_a_file_is_reported_in_line_order(tmp_path: Path) -> None:
    text = (
        "scenario: a\n"  # 1
        "rules:\n"  # 2
        "  - reply: {finish_reason: nope}\n"  # 3
        "  - when:\n"  # 4
        "      last_usr: hi\n"  # 5
        "    reply: {text: x, delay: soon}\n"  # 6
        "  - times: 0\n"  # 7
        "    reply: {text: y}\n"  # 8
        "extra: 1\n"  # 9
    )
    problems = _problems(tmp_path, {"many.yaml": text})
    assert [(p.line, p.column, p.message.split(":")[0]) for p in problems] == [
        (3, 13, "rules[0].reply.finish_reason"),
        (5, 7, "rules[1].when.last_usr"),
        (6, 22, "rules[1].reply.delay"),
        (7, 5, "rules[2].times"),
        (9, 1, "extra"),
    ]
    assert {p.file for p in problems} == {str(tmp_path / "many.yaml")}


def test_problems_of_several_files_and_documents_are_all_reported(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        {
            "a.yaml": "scenario: ok\nrules: []\n---\nscenario: b\nrule: []\n",
            "c.yaml": "scenario: c\nunmatched: never\n",
        },
    )
    assert [(Path(p.file).name, p.line) for p in problems] == [("a.yaml", 5), ("c.yaml", 2)]


def test_semantic_problems_are_all_reported(tmp_path: Path) -> None:
    text = (
        "scenario: a\n"
        "rules:\n"
        "  - name: r\n"
        "    in_state: nowhere\n"
        "    reply: {text: '{{ nope }}'}\n"
        "  - name: r\n"
        "    reply: {error: teapot}\n"
    )
    problems = _problems(tmp_path, {"s.yaml": text})
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [
        (4, "rules[0].in_state"),
        (5, "rules[0].reply.text"),
        (6, "rules[1].name"),
        (7, "rules[1].reply.error"),
    ]


def test_valid_multi_document_file_loads(tmp_path: Path) -> None:
    (tmp_path / "multi.yaml").write_text(
        "# two scenarios in one file\n"
        "scenario: first\n"
        "rules:\n"
        "  - name: hello\n"
        "    when:\n"
        "      not: {any: [{last_user: {contains: bye}}, {stream: true}]}\n"
        "      turn: {min: 1, max: 3}\n"
        "    replies:\n"
        "      - text: 'hi {{ last_user | default(\"there\") }}'\n"
        "        delay: 10ms\n"
        "      - error: {status: 503, message: busy}\n"
        "    sequence: cycle\n"
        "---\n"
        "scenario: second\n"
        "unmatched: generate\n"
        "rules:\n"
        "  - when: {api: anthropic, stream: false}\n"
        "    reply: {json: {generate: schema}, finish_reason: end_turn}\n",
        encoding="utf-8",
    )
    (tmp_path / "notes.txt").write_text("not: [a scenario", encoding="utf-8")
    loaded = load_scenarios([tmp_path])
    assert sorted(loaded) == ["first", "second"]
    first, second = loaded["first"], loaded["second"]
    assert (first.file, first.line) == (str(tmp_path / "multi.yaml"), 2)
    assert second.line == 14
    rule = first.scenario.rules[0]
    assert rule.replies is not None
    assert rule.replies[0].delay == pytest.approx(0.01)
    assert second.scenario.rules[0].reply is not None
    assert second.scenario.rules[0].reply.finish_reason == "end"


def test_shipped_scenarios_load() -> None:
    loaded = load_scenarios([LIBRARY_DIR])
    assert {"default", "echo", "weather"} <= set(loaded)


def test_load_text_uses_the_given_name() -> None:
    loaded = load_text("scenario: inline\nrules: []\n", name="test_x.py")
    assert loaded["inline"].file == "test_x.py"
    with pytest.raises(ScenarioLoadError) as caught:
        load_text("scenario: a\nrules: []\n---\nscenario: a\nrules: []\n", name="test_x.py")
    assert [str(p) for p in caught.value.problems] == [
        "test_x.py:4:1: scenario 'a' is already defined at test_x.py:1"
    ]
    with pytest.raises(ScenarioLoadError) as caught:
        load_text("scenario: a\nrulez: []\n")
    assert str(caught.value).startswith("<inline>:2:1: rulez: unknown key 'rulez'")


def test_empty_text_loads_nothing() -> None:
    assert load_text("") == {}
    assert load_text("# only a comment\n") == {}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ((), ["scenario", "description", "unmatched", "limits", "profile", "rules"]),
        (("rules", 0), None),
        (("rules", 0, "when"), CONDITION_KEYS.split(", ")),
        (("rules", 0, "when", "not", "any", 2), CONDITION_KEYS.split(", ")),
        (("rules", 0, "when", "last_user"), TEXT_MATCH_KEYS.split(", ")),
        (("rules", 0, "when", "headers", "x-team"), TEXT_MATCH_KEYS.split(", ")),
        (("rules", 0, "when", "turn"), ["equals", "min", "max"]),
        (
            ("rules", 0, "replies", 1, "stream"),
            ["ttft", "every", "tokens_per_second", "jitter", "fail"],
        ),
        (("rules", 0, "reply", "error"), ["status", "type", "message", "headers"]),
        (("rules", 0, "reply", "text"), ["generate"]),
        (("rules", 0, "reply", "text", "generate"), ["sentences"]),
        (("rules", 0, "reply", "json"), ["generate"]),
        (("rules", 0, "name"), []),
        (("nonsense",), []),
    ],
)
def test_valid_keys(path: tuple[str | int, ...], expected: list[str] | None) -> None:
    keys = valid_keys(path)
    if expected is None:  # a rule: check the important ones and the alias spelling
        assert {"name", "when", "reply", "replies", "times", "in_state"} <= set(keys)
        assert keys[0] == "name"
    else:
        assert keys == expected


def test_body_condition_needs_an_operator(tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    file.write_text(
        "scenario: s\nrules:\n  - when: {body: [{path: temperature}]}\n    reply: {text: x}\n"
    )
    with pytest.raises(ScenarioLoadError) as caught:
        load_scenarios([file])
    (problem,) = caught.value.problems
    assert problem.line == 3
    assert "give at least one of 'equals', 'contains', 'regex' or 'exists'" in problem.message


# --- one run shows the format problems and the file-wide problems together --------------


def test_format_and_file_wide_problems_are_reported_in_one_run(tmp_path: Path) -> None:
    text = (
        "scenario: a\n"  # 1
        "rules:\n"  # 2
        "  - name: r\n"  # 3
        "    when: {last_usr: hi}\n"  # 4: a format problem: the model cannot be built
        "    reply: {text: x}\n"  # 5
        "  - name: r\n"  # 6: a file-wide one: the name is taken
        "    in_state: waiting\n"  # 7: never entered
        "    reply: {text: '{{ last_usr }}'}\n"  # 8: an unknown template value
        "  - next_state: waited\n"  # 9
        "    times: 0\n"  # 10: a format problem in the rule that enters 'waited'
        "    replies: [{error: rate_limt}, {text: ok, json: {a: 1}}]\n"  # 11
    )
    problems = _problems(tmp_path, {"s.yaml": text})
    assert [(p.line, p.column, p.message) for p in problems] == [
        (
            4,
            12,
            "rules[0].when.last_usr: unknown key 'last_usr' (did you mean 'last_user'?); "
            f"valid keys: {CONDITION_KEYS}",
        ),
        (6, 11, "rules[1].name: duplicate rule name 'r' (also rules[0])"),
        (
            7,
            15,
            "rules[1].in_state: state 'waiting' is never entered (did you mean 'waited'?); "
            "states: Started, waited",
        ),
        (
            8,
            19,
            "rules[1].reply.text: unknown template value 'last_usr' (did you mean "
            f"'last_user'?); valid: {TEMPLATE_ROOTS}",
        ),
        (10, 5, "rules[2].times: Input should be greater than or equal to 1"),
        (
            11,
            23,
            "rules[2].replies[0].error: unknown error 'rate_limt' (did you mean 'rate_limit'?); "
            f"valid: {PRESETS}",
        ),
        (11, 35, "rules[2].replies[1]: give either 'text' or 'json', not both"),
    ]


def test_file_wide_checks_survive_a_broken_top_level(tmp_path: Path) -> None:
    # The document's own keys are wrong and 'rules' is no list at all: nothing to read
    # there, and nothing made up either.
    problems = _problems(tmp_path, {"s.yaml": "scenario: a\nrules: {name: x}\nrulez: []\n"})
    assert [p.message.split(":")[0] for p in problems] == ["rules", "rulez"]
    # A rule that is not a mapping is skipped; its neighbours are still checked.
    text = "scenario: b\nrules:\n  - just text\n  - reply: {error: nope}\n"
    problems = _problems(tmp_path, {"s.yaml": text})
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [
        (3, "rules[0]"),
        (4, "rules[1].reply.error"),
    ]


def test_duplicate_scenario_is_reported_while_one_of_them_is_invalid(tmp_path: Path) -> None:
    first = "scenario: twin\nrules: []\n"
    second = "scenario: twin\nrulez: []\n"
    problems = _problems(tmp_path, {"a.yaml": first, "b.yaml": second})
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert [str(p) for p in problems] == [
        f"{b}:2:1: rulez: unknown key 'rulez' (did you mean 'rules'?); "
        "valid keys: scenario, description, unmatched, limits, profile, rules",
        f"{b}:1:1: scenario 'twin' is already defined at {a}:1",
    ]


def test_problems_carry_the_path_of_the_value(tmp_path: Path) -> None:
    text = (
        "scenario: a\nrules:\n  - name: r\n    when: {last_usr: hi}\n    reply: {text: x}\n"
        "  - name: r\n    reply: {text: x}\n    reply: {text: y}\n"
    )
    problems = _problems(tmp_path, {"a.yaml": text, "b.yaml": "scenario: a\n", "c.yaml": "[\n"})
    assert [(Path(p.file).name, p.path) for p in problems] == [
        ("a.yaml", "rules[0].when.last_usr"),
        ("a.yaml", "rules[1].name"),
        ("a.yaml", "rules[1].reply"),
        ("b.yaml", None),  # the whole document: a name defined twice
        ("c.yaml", None),
    ]
    for problem in problems:
        if problem.path is not None:
            assert problem.message.startswith(f"{problem.path}: ")
        assert problem.as_dict() == {
            "file": problem.file,
            "line": problem.line,
            "column": problem.column,
            "path": problem.path,
            "message": problem.message,
        }


def test_check_scenarios_returns_what_loads_and_every_problem(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text("scenario: good\nrules: []\n", encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("scenario: bad\nrulez: []\n", encoding="utf-8")
    check = check_scenarios([tmp_path])
    assert check.files == (tmp_path / "bad.yaml", tmp_path / "good.yaml")
    assert list(check.scenarios) == ["good"]
    assert [p.path for p in check.problems] == ["rulez"]


# --- editor association ----------------------------------------------------------------


def test_the_language_server_comment_line_is_accepted(tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    file.write_text(
        "# yaml-language-server: $schema=../schema/mockgw-scenario.schema.json\n"
        "scenario: s\nrules:\n  - reply: {text: x}\n",
        encoding="utf-8",
    )
    loaded = load_scenarios([file])
    assert (loaded["s"].file, loaded["s"].line) == (str(file), 2)


def test_mockgw_yaml_files_are_found_once(tmp_path: Path) -> None:
    for name in ("a.mockgw.yaml", "b.yaml", "c.yml", "d.mockgw.yml", "e.yaml.txt", "f.json"):
        (tmp_path / name).write_text(f"scenario: {name[0]}\nrules: []\n", encoding="utf-8")
    (tmp_path / "sub.yaml").mkdir()
    assert [p.name for p in scenario_files([tmp_path])] == [
        "a.mockgw.yaml",
        "b.yaml",
        "c.yml",
        "d.mockgw.yml",
    ]
    assert sorted(load_scenarios([tmp_path])) == ["a", "b", "c", "d"]
