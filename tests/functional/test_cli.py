"""``mockgw serve`` as CI runs it: a subprocess on port 0, announced, then stopped."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockgw.cli import build_parser, main


@pytest.fixture
def serve_process() -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockgw", "serve", "--port", "0", "--api-key", "sk-ci"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield process
    if process.poll() is None:
        process.kill()
        process.wait(5)


def _post(url: str, body: dict[str, object], key: str) -> dict[str, object]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        result: dict[str, object] = json.load(response)
        return result


def test_serve_announces_real_port_and_stops_on_sigterm(
    serve_process: subprocess.Popen[str],
) -> None:
    assert serve_process.stdout is not None
    first = serve_process.stdout.readline().rstrip("\n")
    prefix = "mockgw listening on http://127.0.0.1:"
    assert first.startswith(prefix)
    port = int(first.removeprefix(prefix))
    assert port > 0
    base = f"http://127.0.0.1:{port}"
    reply = _post(
        base + "/v1/chat/completions",
        {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
        "sk-ci",
    )
    assert reply["object"] == "chat.completion"
    serve_process.send_signal(signal.SIGTERM)
    assert serve_process.wait(5) == 0


def test_sigint_also_stops_cleanly(serve_process: subprocess.Popen[str]) -> None:
    assert serve_process.stdout is not None
    assert serve_process.stdout.readline().startswith("mockgw listening on ")
    serve_process.send_signal(signal.SIGINT)
    assert serve_process.wait(5) == 0


def test_missing_scenarios_dir_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "0", "--scenarios", "/nonexistent/dir"]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_bad_port_is_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["serve", "--port", "70000"])
    assert caught.value.code == 2
    assert "not a port number" in capsys.readouterr().err


def test_make_run_passes_only_options_mockgw_accepts() -> None:
    # `make run` is the README's first command; its flags must stay in step with the CLI.
    root = Path(__file__).resolve().parents[2]
    dry = subprocess.run(
        ["make", "-n", "run", "PORT=0", "BIN=.venv/bin"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in dry.stdout.splitlines() if "mockgw serve" in x)
    argv = shlex.split(line)[1:]
    args = build_parser().parse_args(argv)
    assert args.command == "serve"
    assert args.port == 0
    # The shipped library is served by name; no directory is needed for it.
    assert args.scenarios == []
    assert args.library is True
    dry = subprocess.run(
        ["make", "-n", "run", "SCENARIOS=mine team", "BIN=.venv/bin"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in dry.stdout.splitlines() if "mockgw serve" in x)
    assert build_parser().parse_args(shlex.split(line)[1:]).scenarios == [
        Path("mine"),
        Path("team"),
    ]
