"""The composite GitHub Action (action.yml) and its on-failure half (journal/action.yml).

No GitHub runner here: the actions' shell steps run in order with bash as the runner runs
them (``bash --noprofile --norc -eo pipefail``), with the files a runner gives each step
(GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH) in a temporary folder. ``uses:`` steps cannot run
here and are only listed; the install step is replaced by this checkout's mockgw on PATH
(a second test runs it against a stand-in python3 to check what it would install).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTIONS = [ROOT / "action.yml", ROOT / "journal" / "action.yml"]
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
# What a runner's `shell: bash` runs a step's script with.
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]


def load(path: Path) -> dict[str, Any]:
    action: dict[str, Any] = yaml.safe_load(path.read_text())
    return action


def expressions(value: Any) -> list[str]:
    """Every ``${{ ... }}`` inside a (nested) YAML value."""
    if isinstance(value, dict):
        return [e for item in value.values() for e in expressions(item)]
    if isinstance(value, list):
        return [e for item in value for e in expressions(item)]
    return EXPRESSION.findall(value) if isinstance(value, str) else []


@pytest.mark.parametrize("path", ACTIONS, ids=[p.relative_to(ROOT).as_posix() for p in ACTIONS])
def test_inputs_outputs_and_steps_agree(path: Path) -> None:
    action = load(path)
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    ids = [step["id"] for step in steps if "id" in step]
    assert len(ids) == len(set(ids))
    for step in steps:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step["shell"] == "bash", "a composite run step must name its shell"
            # Inputs reach scripts through env only: spliced into the text, they are code.
            assert not EXPRESSION.search(step["run"]), f"expression in the script of {step}"
    used = {e.removeprefix("inputs.") for e in expressions(steps) if e.startswith("inputs.")}
    assert used == set(action["inputs"]), "an input no step reads, or one never declared"
    for name, output in action["outputs"].items():
        (reference,) = expressions(output["value"])
        match = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", reference)
        assert match, f"output {name}: {output['value']}"
        step = next(s for s in steps if s.get("id") == match[1])
        # The step writes it, under that name.
        assert f"{match[2]}=" in step["run"]
    for expression in expressions(steps):
        if expression.startswith("steps."):
            assert expression.split(".")[1] in ids, expression


@dataclass
class Run:
    """The outcome of running an action's steps: its outputs, the job's environment after
    it (what later steps see) and the ``uses:`` steps that were not run."""

    outputs: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    not_run: list[str] = field(default_factory=list)


def _read_pairs(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        assert "<<" not in line, "multi-line values are not simulated"
        name, sep, value = line.partition("=")
        assert sep, line
        pairs[name] = value
    return pairs


def run_action(
    path: Path,
    inputs: Mapping[str, str],
    *,
    env: Mapping[str, str],
    workdir: Path,
    skip: frozenset[str] = frozenset(),
) -> Run:
    """Run the action's shell steps in order as a runner would; fail on a failing step."""
    action = load(path)
    assert set(inputs) <= set(action["inputs"]), "an input the action does not declare"
    values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    values.update(inputs)
    step_outputs: dict[str, dict[str, str]] = {}
    run = Run(env=dict(env))

    def expand(text: str) -> str:
        def value(match: re.Match[str]) -> str:
            words = match[1].split(".")
            if words[0] == "inputs":
                return values[words[1]]
            if words[0] == "steps" and words[2] == "outputs":
                return step_outputs.get(words[1], {}).get(words[3], "")
            raise AssertionError(f"expression not simulated: {match[0]}")

        return EXPRESSION.sub(value, text)

    files = workdir / "runner-files"
    files.mkdir(exist_ok=True)
    for number, step in enumerate(action["runs"]["steps"]):
        assert "if" not in step, "conditions are not simulated"
        name = step.get("id", f"step{number}")
        if "uses" in step:
            run.not_run.append(step["uses"])
            continue
        if name in skip:
            continue
        output, job_env, job_path = (files / f"{name}.{kind}" for kind in ("out", "env", "path"))
        step_env = {
            **run.env,
            **{key: expand(str(value)) for key, value in step.get("env", {}).items()},
            "GITHUB_ACTION_PATH": str(path.parent),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_ENV": str(job_env),
            "GITHUB_PATH": str(job_path),
        }
        result = subprocess.run(
            [*BASH, "-c", step["run"]],
            cwd=workdir,
            env=step_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, f"step {name}:\n{result.stdout}\n{result.stderr}"
        step_outputs[name] = _read_pairs(output)
        run.env.update(_read_pairs(job_env))
        added = job_path.read_text().split() if job_path.exists() else []
        run.env["PATH"] = os.pathsep.join([*reversed(added), run.env["PATH"]])
    run.outputs = {name: expand(spec["value"]) for name, spec in action.get("outputs", {}).items()}
    return run


@pytest.fixture
def runner_env(tmp_path: Path) -> dict[str, str]:
    """A job's environment: RUNNER_TEMP, and this checkout's mockgw first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "mockgw"
    shim.write_text(
        f'#!/bin/sh\nPYTHONPATH="{ROOT}${{PYTHONPATH:+:$PYTHONPATH}}" '
        f'exec "{sys.executable}" -m mockgw "$@"\n'
    )
    shim.chmod(0o755)
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(temp),
    }


@pytest.fixture
def started() -> Iterator[list[Run]]:
    """Runs of the action whose server the test must not leave behind."""
    runs: list[Run] = []
    yield runs
    for run in runs:
        if "MOCKGW_PID" in run.env:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(run.env["MOCKGW_PID"]), signal.SIGTERM)


def _get(url: str, token: str | None = None) -> bytes:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
        body: bytes = r.read()
        return body


def _chat(url: str, text: str, scenario: str) -> None:
    request = urllib.request.Request(
        url + "/v1/chat/completions",
        data=json.dumps(
            {"model": "gpt-4o", "messages": [{"role": "user", "content": text}]}
        ).encode(),
        headers={
            "Authorization": "Bearer sk-ci",
            "Content-Type": "application/json",
            "X-Mockgw-Scenario": scenario,
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response)["choices"][0]["message"]["content"] == text


def test_the_action_starts_mockgw_and_the_journal_action_collects_it(
    tmp_path: Path, runner_env: dict[str, str], started: list[Run]
) -> None:
    # Two folders, newline-separated as a YAML block scalar gives them; one with a space
    # in its name would need quoting, which a whitespace-separated list cannot express.
    for folder, name in (("mine", "from-action"), ("theirs", "also-from-action")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"{name}.yaml").write_text(
            f"scenario: {name}\nrules:\n  - reply:\n      text: '{{{{ last_user }}}}'\n"
        )
    inputs = {"scenarios": "mine\ntheirs\n", "admin-token": "adm-secret-1"}
    run = run_action(
        ROOT / "action.yml",
        inputs,
        env=runner_env,
        workdir=tmp_path,
        skip=frozenset({"install"}),
    )
    started.append(run)
    url = run.outputs["url"]
    # Port 0 by default: the real port came back through --ready-file.
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    assert int(url.rsplit(":", 1)[1]) > 0
    assert run.outputs["openai-base-url"] == url + "/v1"
    assert run.outputs["anthropic-base-url"] == url
    assert run.env["MOCKGW_URL"] == url
    assert run.not_run == []
    assert json.loads(_get(url + "/__mockgw/health"))["status"] == "ok"
    # The folders were both passed, and the admin API wants the token.
    with pytest.raises(urllib.error.HTTPError) as refused:
        _get(url + "/__mockgw/scenarios")
    assert refused.value.code == 401
    names = {
        s["name"]
        for s in json.loads(_get(url + "/__mockgw/scenarios", "adm-secret-1"))["scenarios"]
    }
    assert {"from-action", "also-from-action"} <= names
    # The token reached mockgw by its environment: its command line (ps) does not show it.
    command_line = Path(f"/proc/{run.env['MOCKGW_PID']}/cmdline").read_bytes()
    assert b"serve" in command_line
    assert b"adm-secret-1" not in command_line
    _chat(url, "seen by the journal", "from-action")

    collected = run_action(
        ROOT / "journal" / "action.yml",
        {"admin-token": "adm-secret-1"},
        env=run.env,
        workdir=tmp_path,
    )
    assert collected.not_run == ["actions/upload-artifact@v4"]
    uploaded = Path(collected.outputs["path"])
    entries = [json.loads(line) for line in (uploaded / "requests.jsonl").read_text().splitlines()]
    assert any("seen by the journal" in json.dumps(entry) for entry in entries)
    assert (uploaded / "mockgw.log").read_text().startswith("mockgw listening on " + url)


@pytest.mark.usefixtures("started")  # stops whatever the action started
def test_the_action_fails_with_the_log_when_mockgw_cannot_start(
    tmp_path: Path, runner_env: dict[str, str]
) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "bad.yaml").write_text("scenario: bad\nrules: 7\n")
    with pytest.raises(AssertionError, match=r"(?s)step ready:.*mockgw stopped before serving"):
        run_action(
            ROOT / "action.yml",
            {"scenarios": "broken"},
            env=runner_env,
            workdir=tmp_path,
            skip=frozenset({"install"}),
        )


@pytest.mark.parametrize(
    ("version", "installed"),
    [
        ("", "{action_path}"),
        ("0.1.0", "mockgw==0.1.0"),
        (">=0.1,<0.2", "mockgw>=0.1,<0.2"),
        (
            "mockgw @ git+https://example.invalid/mockgw.git",
            "mockgw @ git+https://example.invalid/mockgw.git",
        ),
    ],
)
def test_the_install_step_installs_what_version_says(
    version: str, installed: str, tmp_path: Path, runner_env: dict[str, str]
) -> None:
    # A stand-in python3: `-m venv DIR` makes DIR/bin/python, which records its arguments.
    fake = tmp_path / "fake-bin"
    fake.mkdir()
    record = tmp_path / "pip-args"
    (fake / "python3").write_text(
        "#!/bin/sh\n"
        '[ "$1 $2" = "-m venv" ] || exit 3\n'
        'mkdir -p "$3/bin"\n'
        f"cat > \"$3/bin/python\" <<'EOF'\n#!/bin/sh\nprintf '%s\\n' \"$@\" > '{record}'\nEOF\n"
        'chmod +x "$3/bin/python"\n'
    )
    (fake / "python3").chmod(0o755)
    env = {**runner_env, "PATH": f"{fake}{os.pathsep}{runner_env['PATH']}"}
    action = load(ROOT / "action.yml")
    only_install = frozenset(s["id"] for s in action["runs"]["steps"] if s["id"] != "install")
    run = run_action(
        ROOT / "action.yml", {"version": version}, env=env, workdir=tmp_path, skip=only_install
    )
    args = record.read_text().splitlines()
    assert args[:3] == ["-m", "pip", "install"]
    assert args[-1] == installed.format(action_path=ROOT)
    # Later steps find the venv's mockgw first.
    venv_bin = Path(runner_env["RUNNER_TEMP"]) / "mockgw-venv" / "bin"
    assert run.env["PATH"].split(os.pathsep)[0] == str(venv_bin)


def test_the_documented_workflow_uses_only_what_the_actions_declare() -> None:
    text = (ROOT / "docs" / "ci.md").read_text()
    workflows = [
        yaml.safe_load(block)
        for block in re.findall(r"^```yaml\n(.*?)^```", text, re.DOTALL | re.MULTILINE)
        if "jobs:" in block
    ]
    steps = [s for w in workflows for job in w["jobs"].values() for s in job["steps"]]
    actions = {
        "mockgw": load(ROOT / "action.yml"),
        "mockgw/journal": load(ROOT / "journal/action.yml"),
    }
    used: dict[str, dict[str, Any]] = {}
    for step in steps:
        name = step.get("uses", "").partition("@")[0].partition("/")[2]
        if name in actions:
            assert set(step.get("with", {})) <= set(actions[name]["inputs"]), step
            used[name] = step
    assert set(used) == set(actions)
    assert used["mockgw/journal"]["if"] == "failure()"
    step_id = used["mockgw"]["id"]
    for expression in expressions(steps):
        if expression.startswith(f"steps.{step_id}.outputs."):
            assert expression.rsplit(".", 1)[1] in actions["mockgw"]["outputs"], expression
    assert f"steps.{step_id}.outputs.openai-base-url" in expressions(steps)
