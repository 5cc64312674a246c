"""``mockgw validate``, ``mockgw schema`` and ``mockgw serve --scenarios/--watch`` as
subprocesses, the way a user or a CI job runs them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from mockgw._version import __version__
from mockgw.cli import EXIT_BROKEN_PIPE, SCHEMA_ID, main
from mockgw.scenarios.library import LIBRARY_DIR
from tests.functional.serve_support import Server

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = LIBRARY_DIR
BROKEN = "scenario: broken\nrules:\n  - when:\n      last_usr: hi\n    reply: {text: x}\n"


def _mockgw(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockgw", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
    )


def _scenario(text: str) -> str:
    return f"scenario: s\nrules:\n  - name: only\n    reply: {{text: {json.dumps(text)}}}\n"


# --- validate ----------------------------------------------------------------------------


def test_validate_shipped_scenarios() -> None:
    result = _mockgw("validate", str(SHIPPED))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")
    assert "weather" in result.stdout
    assert result.stderr == ""


def test_validate_broken_directory_prints_every_problem(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "b.yml").write_text("scenario: b\nrules:\n  - times: 0\n", encoding="utf-8")
    (tmp_path / "good.yaml").write_text(_scenario("fine"), encoding="utf-8")
    result = _mockgw("validate", str(tmp_path))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f"{tmp_path / 'a.yaml'}:4:7: rules[0].when.last_usr: unknown key 'last_usr' "
        "(did you mean 'last_user'?); valid keys: api, model, stream, last_user, system, "
        "any_message, tools, tool_choice, tool_result, turn, headers, metadata, "
        "response_format, body, counter, all, any, not"
    )
    assert lines[1].startswith(f"{tmp_path / 'b.yml'}:3:5: rules[0]")
    assert lines[-1] == f"{len(lines) - 1} problems found"


def test_validate_missing_path_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = _mockgw("validate", str(SHIPPED), str(missing))
    assert result.returncode == 2
    assert result.stderr == f"{missing}: no such file or directory\n"


def test_validate_reports_format_and_file_wide_problems_in_one_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # One file with a format problem, one with a file-wide one, one with both, one
    # defining a scenario name a second time: one run names them all.
    (tmp_path / "a.yaml").write_text(BROKEN, encoding="utf-8")
    second_r = "  - {name: r, reply: {text: y}}\n"
    twice = "scenario: twice\nrules:\n  - {name: r, reply: {text: x}}\n" + second_r
    (tmp_path / "b.yaml").write_text(twice, encoding="utf-8")
    both = "scenario: both\nrules:\n  - {name: r, times: 0, reply: {text: x}}\n" + second_r
    (tmp_path / "c.yaml").write_text(both, encoding="utf-8")
    (tmp_path / "d.yaml").write_text("# again\n" + twice, encoding="utf-8")
    assert main(["validate", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    a, b, c, d = (tmp_path / f"{name}.yaml" for name in "abcd")
    assert out == ""
    assert err.splitlines() == [
        f"{a}:4:7: rules[0].when.last_usr: unknown key 'last_usr' (did you mean 'last_user'?); "
        "valid keys: api, model, stream, last_user, system, any_message, tools, tool_choice, "
        "tool_result, turn, headers, metadata, response_format, body, counter, all, any, not",
        f"{b}:4:12: rules[1].name: duplicate rule name 'r' (also rules[0])",
        f"{c}:3:15: rules[0].times: Input should be greater than or equal to 1",
        f"{c}:4:12: rules[1].name: duplicate rule name 'r' (also rules[0])",
        f"{d}:5:12: rules[1].name: duplicate rule name 'r' (also rules[0])",
        f"{d}:2:1: scenario 'twice' is already defined at {b}:1",
        "6 problems found",
    ]


def test_validate_json_reports_every_problem_and_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "b.yaml").write_text("scenario: b\nrules: [\n", encoding="utf-8")
    (tmp_path / "good.yaml").write_text(_scenario("fine"), encoding="utf-8")
    result = _mockgw("validate", "--json", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr == ""
    document = json.loads(result.stdout)
    assert document["summary"] == {"files": 3, "scenarios": 1, "problems": 2}
    first, second = document["problems"]
    assert first == {
        "file": str(tmp_path / "a.yaml"),
        "line": 4,
        "column": 7,
        "path": "rules[0].when.last_usr",
        "message": first["message"],
    }
    assert first["message"].startswith("rules[0].when.last_usr: unknown key 'last_usr'")
    assert (second["file"], second["path"]) == (str(tmp_path / "b.yaml"), None)
    assert second["message"].startswith("invalid YAML: ")
    # The same problems as the text report, word for word.
    assert main(["validate", str(tmp_path)]) == 1
    text = capsys.readouterr().err.splitlines()
    assert text[:-1] == [
        f"{p['file']}:{p['line']}:{p['column']}: {p['message']}" for p in document["problems"]
    ]


def test_validate_json_when_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--json", str(SHIPPED)]) == 0
    out, err = capsys.readouterr()
    document = json.loads(out)
    files = sorted(SHIPPED.glob("*.y*ml"))
    assert document["problems"] == []
    assert document["summary"]["files"] == len(files) > 0
    assert document["summary"]["scenarios"] >= len(files)
    assert err == ""


def test_validate_json_missing_path_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--json", str(tmp_path / "nowhere")]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"{tmp_path / 'nowhere'}: no such file or directory\n")


def test_validate_a_directory_without_scenario_files_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("scenario: not-here\n", encoding="utf-8")
    (tmp_path / "nested.yaml").mkdir()
    (tmp_path / "nested.yaml" / "deeper.yaml").write_text(_scenario("x"), encoding="utf-8")
    assert main(["validate", str(SHIPPED), str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"{tmp_path}: no scenario files (*.yaml, *.yml) in this directory\n"


# --- schema ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    result = _mockgw("schema")
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_schema_defines_the_format(schema: dict[str, Any]) -> None:
    assert {"Condition", "Reply", "Rule", "TextMatch"} <= set(schema["$defs"])
    assert schema["required"] == ["scenario"]
    assert "not" in schema["$defs"]["Condition"]["properties"]
    assert "json" in schema["$defs"]["Reply"]["properties"]
    jsonschema.Draft202012Validator.check_schema(schema)


def test_committed_schema_is_what_mockgw_schema_prints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["schema"]) == 0
    printed = capsys.readouterr().out
    committed = (ROOT / "schema" / "mockgw-scenario.schema.json").read_text(encoding="utf-8")
    assert committed == printed, "the format changed: run 'make schema' and commit the file"
    assert json.loads(printed)["$id"] == f"urn:mockgw:scenario-schema:{__version__}"


def test_schema_into_a_closed_pipe_ends_quietly() -> None:
    # `mockgw schema | head -n 1`, made deterministic: the reader is gone before mockgw
    # has started, so its first write finds a closed pipe.
    read, write = os.pipe()
    os.close(read)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "mockgw", "schema"],
            cwd=ROOT,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=30,
        )
    finally:
        os.close(write)
    assert result.stderr == ""
    assert result.returncode == EXIT_BROKEN_PIPE == 141


def test_schema_offers_the_served_apis_to_editors(schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(schema)

    def document(api: str) -> dict[str, Any]:
        return {"scenario": "a", "rules": [{"when": {"api": api}, "reply": {"text": "x"}}]}

    assert [e.validator for e in validator.iter_errors(document("opnai"))] == ["anyOf"]
    assert list(validator.iter_errors(document("anthropic"))) == []


def test_schema_accepts_the_shipped_scenarios(schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    documents = [
        (path.name, document)
        for path in sorted(SHIPPED.glob("*.yaml"))
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if document is not None
    ]
    assert len(documents) >= 7
    for name, document in documents:
        errors = [e.message for e in validator.iter_errors(document)]
        assert errors == [], name


def test_schema_rejects_what_the_loader_rejects(schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    for bad in (
        {"scenario": "a", "rule": []},
        {"scenario": "a", "rules": [{"when": {"last_usr": "x"}, "reply": {"text": "x"}}]},
        {"scenario": "a", "rules": [{"when": {"stream": "yes"}, "reply": {"text": "x"}}]},
        {"scenario": "a", "rules": [{"reply": {"text": "x", "delay": "soon"}}]},
        {"scenario": "a b", "rules": []},
    ):
        assert not validator.is_valid(bad), bad


# --- serve -------------------------------------------------------------------------------


def test_serve_refuses_bad_scenarios(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(BROKEN, encoding="utf-8")
    result = _mockgw("serve", "--port", "0", "--scenarios", str(tmp_path))
    assert result.returncode != 0
    assert "listening" not in result.stdout
    assert f"{tmp_path / 'a.yaml'}:4:7: rules[0].when.last_usr: unknown key" in result.stderr


def test_serve_refuses_unknown_default_scenario(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        _scenario("x").replace("scenario: s", "scenario: support") + "---\nscenario: echo\n",
        encoding="utf-8",
    )
    folder = str(tmp_path)
    result = _mockgw(
        "serve", "--port", "0", "--scenarios", folder, "--no-library", "--scenario", "suport"
    )
    assert result.returncode != 0
    assert "listening" not in result.stdout
    assert result.stderr.strip() == (
        "mockgw: not starting: --scenario suport: no such scenario "
        "(did you mean 'support'?); known: echo, support"
    )


def test_watch_without_scenarios_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    # In-process: argument checks happen before anything is bound.
    assert main(["serve", "--port", "0", "--watch"]) == 2
    assert capsys.readouterr().err == "mockgw: --watch needs --scenarios DIR to watch\n"


def _eventually(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.mark.slow
def test_watch_reloads_edits_and_keeps_the_last_good_set(
    tmp_path: Path, start_server: Callable[[list[str]], Server]
) -> None:
    file = tmp_path / "s.yaml"
    file.write_text(_scenario("version one"), encoding="utf-8")
    server = start_server(["--scenarios", str(tmp_path), "--watch", "--scenario", "s"])
    assert server.reply_text() == "version one"

    file.write_text(_scenario("version two, edited"), encoding="utf-8")
    assert _eventually(lambda: server.reply_text() == "version two, edited")

    file.write_text(BROKEN.replace("broken", "s"), encoding="utf-8")
    problem = f"{file}:4:7: rules[0].when.last_usr: unknown key 'last_usr'"
    assert _eventually(lambda: problem in server.read_stderr()), server.read_stderr()
    assert "the last good set stays live" in server.read_stderr()
    assert server.reply_text() == "version two, edited"

    # A valid set that lost the --scenario default is refused too.
    message = "the default scenario 's' (--scenario) is no longer defined"
    before = server.read_stderr().count(message)
    file.write_text(_scenario("renamed").replace("scenario: s", "scenario: t"), encoding="utf-8")
    assert _eventually(lambda: server.read_stderr().count(message) > before), server.read_stderr()
    assert server.reply_text() == "version two, edited"
    assert server.process.poll() is None


def test_the_docs_json_report_is_what_mockgw_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    page = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    (content,) = re.findall(r"^printf '(.*)' > demo\.yaml$", page, re.MULTILINE)
    (shown,) = re.findall(r"`report\.json` then holds:\n\n```json\n(.*?)^```", page, re.S | re.M)
    (tmp_path / "demo.yaml").write_text(content.replace("\\n", "\n"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "--json", "demo.yaml"]) == 1
    assert capsys.readouterr().out == shown
    assert f"`{SCHEMA_ID}`" in page
