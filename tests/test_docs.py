"""Every code example in README.md and docs/ runs, so the docs cannot rot.

Examples address the default ``http://127.0.0.1:8080``; the test points them at the
session's server instead. ``sh`` blocks are run with bash unless they invoke ``make``
(covered by CI itself); a block that starts a server in the background is stopped after.
A ``python`` block that defines test functions is a test file: it runs as a pytest
session in a fresh project set up as its page says; other ``python`` blocks are scripts.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig
from mockgw.core.chat import ChatRequest, Message
from mockgw.core.failures import NoMatch
from mockgw.scenarios.engine import Engine
from mockgw.scenarios.library import LIBRARY_DIR
from mockgw.scenarios.loader import load_text

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Any info string: a fence of another language (toml) must not be read as plain text.
BLOCK = re.compile(r"^```([\w-]*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
DEFAULT_URL = "http://127.0.0.1:8080"


def _blocks(language: str) -> list[tuple[str, str]]:
    found = []
    for path in DOCS:
        text = path.read_text()
        for match in BLOCK.finditer(text):
            if match[1] == language:
                line = text[: match.start()].count("\n") + 1
                found.append((f"{path.name}:{line}", match[2]))
    return found


def _test_functions(code: str) -> list[str]:
    """The test functions a python block defines; a block with any is a pytest file."""
    return [
        node.name
        for node in ast.parse(code).body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.name.startswith("test_")
    ]


PYTHON = _blocks("python")
# Executing a test file would only define its tests: those run as pytest sessions.
SCRIPTS = [(where, code) for where, code in PYTHON if not _test_functions(code)]
TEST_FILES = [(where, code) for where, code in PYTHON if _test_functions(code)]
# The pytest guide's scripts run as a reader runs them: in a fresh project, as a process.
GUIDE_SCRIPTS = [(where, code) for where, code in SCRIPTS if where.startswith("pytest.md:")]
SCRIPTS = [(where, code) for where, code in SCRIPTS if (where, code) not in GUIDE_SCRIPTS]
TOML = _blocks("toml")
# admin.md's examples build on each other: they run in order on a server of their own.
SHELL = [
    (where, code)
    for where, code in _blocks("sh")
    if "make " not in code and not where.startswith("admin.md:")
]


YAML = _blocks("yaml")
PLAIN = _blocks("")


@pytest.mark.parametrize(("where", "code"), YAML, ids=[w for w, _ in YAML])
def test_yaml_example_loads(where: str, code: str) -> None:
    if code.startswith("scenario:") or "\nscenario:" in code:
        assert load_text(code, name=where)
    else:  # not a scenario (a CI workflow, say): it must still be valid YAML
        assert yaml.safe_load(code)


def test_near_miss_example_is_what_mockgw_says() -> None:
    (example,) = [code for _, code in PLAIN if code.startswith("mockgw: no rule")]
    where, first_yaml = next((w, c) for w, c in YAML if w.startswith("scenarios.md"))
    engine = Engine(load_text(first_yaml, name=where))
    request = ChatRequest(api="openai", model="gpt-4o", messages=(Message("user", "hello"),))
    failure = engine.plan(request, {}, {}, scenario="weather").failure
    assert isinstance(failure, NoMatch)
    assert failure.report == example.rstrip("\n")


def test_docs_have_examples() -> None:
    assert len(SCRIPTS) >= 1
    assert len(GUIDE_SCRIPTS) >= 2
    assert [where.partition(":")[0] for where, _ in TEST_FILES] == ["pytest.md"]
    assert len(SHELL) >= 2


@pytest.mark.parametrize(("where", "code"), SCRIPTS, ids=[w for w, _ in SCRIPTS])
def test_python_example(
    where: str,
    code: str,
    open_server: BackgroundServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = code.replace(DEFAULT_URL, open_server.url)
    # Where a user runs it: next to a scenarios/ folder (a copy of the shipped library).
    (tmp_path / "scenarios").symlink_to(LIBRARY_DIR)
    monkeypatch.chdir(tmp_path)
    exec(compile(source, where, "exec"), {"__name__": "__docs__"})


@pytest.mark.parametrize(("where", "code"), GUIDE_SCRIPTS, ids=[w for w, _ in GUIDE_SCRIPTS])
def test_pytest_guide_script(where: str, code: str, pytester: pytest.Pytester) -> None:
    script = pytester.makepyfile(example=code)
    result = pytester.runpython(script)
    assert result.ret == 0, f"{where}:\n{result.stdout.str()}\n{result.stderr.str()}"


def example_project(where: str) -> dict[str, str]:
    """The files of the project a page sets up for its test file at ``where``, by name:
    the page's pyproject.toml block (its pytest configuration) and the test file. The
    shipped library needs no folder: the page's scenarios come by name."""
    page = where.partition(":")[0]
    (config,) = [c for w, c in TOML if w.startswith(f"{page}:") and "[tool.pytest" in c]
    return {"pyproject.toml": config, "test_example.py": dict(TEST_FILES)[where]}


@pytest.mark.parametrize(("where", "code"), TEST_FILES, ids=[w for w, _ in TEST_FILES])
def test_pytest_example(where: str, code: str, pytester: pytest.Pytester) -> None:
    """The test file passes, every test in it, in a project set up as its page says."""
    for name, text in example_project(where).items():
        (pytester.path / name).write_text(text)
    # In-process: a subprocess would spend seconds importing the SDKs again. The plugin
    # still comes from its entry point, with its own session-scoped server.
    result = pytester.runpytest("-v")
    tests = _test_functions(code)
    result.stdout.fnmatch_lines_random([f"test_example.py::{name} PASSED*" for name in tests])
    # No warnings either: a reader's copy must run clean.
    result.assert_outcomes(passed=len(tests), warnings=0)


def _bash(script: str, cwd: Path, where: str) -> str:
    """Run a docs shell example as a reader would (the venv's tools first on PATH); its
    stdout, once it has exited 0."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, f"{where}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.parametrize(("where", "code"), SHELL, ids=[w for w, _ in SHELL])
def test_shell_example(
    where: str, code: str, open_server: BackgroundServer, tmp_path: Path
) -> None:
    script = code.replace(DEFAULT_URL, open_server.url)
    if "mockgw serve" in script and "kill %1" not in script:
        script += '\ntest -n "$MOCKGW_URL" && curl -sf "$MOCKGW_URL/__mockgw/health"\nkill %1\n'
    # Examples run where a user would: next to a scenarios/ folder (the shipped library).
    (tmp_path / "scenarios").symlink_to(LIBRARY_DIR)
    out = _bash(script, tmp_path, where)
    assert '"error"' not in out, out


def _admin_examples() -> list[tuple[str, str, Any]]:
    """admin.md's commands in order, each with the JSON answer shown after it (or None)."""
    text = (ROOT / "docs" / "admin.md").read_text()
    blocks = [
        (match[1], match[2], f"admin.md:{text[: match.start()].count(chr(10)) + 1}")
        for match in BLOCK.finditer(text)
    ]
    examples = []
    for index, (language, code, where) in enumerate(blocks):
        if language != "sh":
            continue
        after = blocks[index + 1] if index + 1 < len(blocks) else None
        answer = json.loads(after[1]) if after and after[0] == "json" else None
        examples.append((where, code, answer))
    return examples


def _shape(value: Any) -> Any:
    """What a documented answer promises: its keys and the kinds of its values."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    return "number" if isinstance(value, (int, float)) else type(value).__name__


def _replay_admin(url: str, cwd: Path, run: str) -> None:
    """admin.md's commands in order; every answer has the shape the page shows."""
    for where, code, answer in _admin_examples():
        out = _bash(code.replace(DEFAULT_URL, url), cwd, f"{where} ({run} run)")
        if answer is None:
            assert out == "", where
        else:
            assert _shape(json.loads(out)) == _shape(answer), f"{where} ({run} run)"


def test_admin_reference_answers_as_documented(tmp_path: Path) -> None:
    assert len(_admin_examples()) >= 20
    (tmp_path / "scenarios").symlink_to(LIBRARY_DIR)
    with BackgroundServer(ServerConfig(port=0)) as fresh:
        _replay_admin(fresh.url, tmp_path, "first")


# Examples that talk to an already running server (the reader's `make run`) rather than
# start their own. A reader runs them again on that same server, where the sessions,
# counters and journal of the first run persist: each must pass the second time too.
SERVER_EXAMPLES = [
    (where, language, code)
    for language, examples in (("python", SCRIPTS), ("sh", SHELL))
    for where, code in examples
    if DEFAULT_URL in code
]


def _run_example(language: str, where: str, code: str, url: str, cwd: Path) -> None:
    source = code.replace(DEFAULT_URL, url)
    if language == "python":
        exec(compile(source, where, "exec"), {"__name__": "__docs__"})
        return
    _bash(source, cwd, where)


def test_server_examples_found() -> None:
    """The re-run test below covers both kinds of example, and the stateful ones."""
    languages = {language for _, language, _ in SERVER_EXAMPLES}
    assert languages == {"python", "sh"}
    assert any("/session/" in code for _, _, code in SERVER_EXAMPLES)


@pytest.mark.parametrize(
    ("where", "language", "code"), SERVER_EXAMPLES, ids=[w for w, _, _ in SERVER_EXAMPLES]
)
def test_server_example_runs_twice(
    where: str, language: str, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "scenarios").symlink_to(LIBRARY_DIR)
    monkeypatch.chdir(tmp_path)
    # A server of its own, so that the second run meets exactly what the first one left.
    with BackgroundServer(ServerConfig(port=0)) as server:
        for attempt in ("first", "second"):
            try:
                _run_example(language, where, code, server.url, tmp_path)
            except AssertionError as error:
                raise AssertionError(f"{where}, {attempt} run on one server: {error}") from error


def test_admin_reference_runs_twice(tmp_path: Path) -> None:
    """admin.md says its sequence can be run again on the same server: it ends with
    ``POST reset``. Both passes answer every command as documented."""
    (tmp_path / "scenarios").symlink_to(LIBRARY_DIR)
    with BackgroundServer(ServerConfig(port=0)) as server:
        for run in ("first", "second"):
            _replay_admin(server.url, tmp_path, run)
