"""``mockgw serve`` as a CI job runs it: a subprocess found through ``--ready-file``.

Driven through the admin API and both SDKs, then stopped with SIGTERM while a paced
stream is in flight: the stream must finish (complete text, terminator received), the
process must exit 0 within 5 s, and the ready file must be gone.
"""

from __future__ import annotations

import functools
import json
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from mockgw.cli import main
from tests.functional.scenario_support import ANTHROPIC_MODEL, OPENAI_MODEL, write_scenarios

WORDS = 24
# ~24 content events 50 ms apart: a stream that lasts over a second.
LONG_TEXT = " ".join(f"word{i}" for i in range(WORDS)) + "."
SCENARIOS = {
    "ci": """\
    scenario: ci
    rules:
      - name: paced
        when: {stream: true}
        reply:
          text: "LONG_TEXT"
          stream: {every: 50ms}
      - name: plain
        reply: {text: "plain answer to {{ last_user }}"}
    """.replace("LONG_TEXT", LONG_TEXT)
}
KEY = "sk-ci-server"
READY_TIMEOUT = 15.0


class Served:
    def __init__(self, process: subprocess.Popen[str], url: str, ready: Path) -> None:
        self.process = process
        self.url = url
        self.ready = ready

    def admin(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"{self.url}/__mockgw{path}",
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method=method,
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    scenarios = write_scenarios(tmp_path / "scenarios", SCENARIOS)
    ready = tmp_path / "mockgw.url"
    command = [sys.executable, "-m", "mockgw", "serve", "--port", "0", "--quiet"]
    command += ["--ready-file", str(ready), "--scenarios", str(scenarios), "--api-key", KEY]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not ready.exists():
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "mockgw never wrote its ready file"
            time.sleep(0.02)
        url = ready.read_text(encoding="utf-8").strip()
        assert url.startswith("http://127.0.0.1:")
        yield Served(process, url, ready)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=5)


@pytest.mark.slow
def test_ci_job_admin_sdks_and_graceful_sigterm(served: Served) -> None:
    # Admin API: a session with the scenario, as a job in another language would.
    status, body = served.admin("POST", "/sessions", {"id": "job-1", "scenario": "ci"})
    assert (status, body["prefix"]) == (201, "/session/job-1")
    base = served.url + body["prefix"]
    oai = openai.OpenAI(base_url=base + "/v1", api_key=KEY, max_retries=0)
    ant = anthropic.Anthropic(base_url=base, api_key=KEY, max_retries=0)

    completion = oai.chat.completions.create(
        model=OPENAI_MODEL, messages=[{"role": "user", "content": "ping"}]
    )
    assert completion.choices[0].message.content == "plain answer to ping"
    message = ant.messages.create(
        model=ANTHROPIC_MODEL, max_tokens=100, messages=[{"role": "user", "content": "pong"}]
    )
    assert message.content[0].type == "text"
    assert message.content[0].text == "plain answer to pong"
    _, journal = served.admin("GET", "/requests?session=job-1")
    assert [(e["api"], e["rule"]) for e in journal["requests"]] == [
        ("openai", "plain"),
        ("anthropic", "plain"),
    ]

    # Two paced streams in flight, then SIGTERM.
    started = threading.Barrier(3, timeout=10)
    results: dict[str, Any] = {}

    openai_stream = functools.partial(
        _hold_stream,
        lambda: oai.chat.completions.stream(
            model=OPENAI_MODEL, messages=[{"role": "user", "content": "long"}]
        ),
        "content.delta",
        lambda stream: stream.get_final_completion(),
        started,
        results,
        "openai",
    )
    anthropic_stream = functools.partial(
        _hold_stream,
        lambda: ant.messages.stream(
            model=ANTHROPIC_MODEL, max_tokens=500, messages=[{"role": "user", "content": "x"}]
        ),
        "text",
        lambda stream: stream.get_final_message(),
        started,
        results,
        "anthropic",
    )

    threads = [threading.Thread(target=openai_stream), threading.Thread(target=anthropic_stream)]
    for thread in threads:
        thread.start()
    started.wait()
    signalled = time.monotonic()
    served.process.send_signal(signal.SIGTERM)
    for thread in threads:
        thread.join(10)
    assert served.process.wait(5) == 0
    exited = time.monotonic() - signalled
    assert exited < 5
    assert not served.ready.exists()

    final_completion = results["openai"]
    assert not isinstance(final_completion, BaseException), repr(final_completion)
    choice = final_completion.choices[0]
    assert choice.message.content == LONG_TEXT
    assert choice.finish_reason == "stop"  # the last chunk came, then [DONE]
    final_message = results["anthropic"]
    assert not isinstance(final_message, BaseException), repr(final_message)
    assert final_message.content[0].text == LONG_TEXT
    assert final_message.stop_reason == "end_turn"  # message_delta and message_stop came
    # The streams really were in flight: they needed most of their second after SIGTERM.
    assert exited > 0.5
    oai.close()
    ant.close()

    output = served.process.communicate(timeout=5)[0]
    assert output.splitlines()[0] == f"mockgw listening on {served.url}"
    assert "Traceback" not in output


def _hold_stream(
    open_stream: Callable[[], Any],
    first: str,
    final: Callable[[Any], Any],
    started: threading.Barrier,
    results: dict[str, Any],
    key: str,
) -> None:
    """Read a stream up to its first ``first`` event, meet the others at ``started``, then
    read it to the end: ``results[key]`` is the final object, or what went wrong."""
    try:
        with open_stream() as stream:
            for event in stream:
                if event.type == first:
                    started.wait()
                    break
            outcome = final(stream)
        results[key] = outcome
    except BaseException as exc:  # reported by the main thread
        results[key] = exc
        started.abort()


def test_stale_ready_file_is_removed_even_when_startup_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A file left by a killed run must not announce its dead URL to the next job.
    ready = tmp_path / "mockgw.url"
    ready.write_text("http://127.0.0.1:1\n")
    broken = write_scenarios(tmp_path / "broken", {"bad": "scenario: bad\nrules: [{}]\n"})
    argv = ["serve", "--port", "0", "--quiet", "--ready-file", str(ready)]
    assert main([*argv, "--scenarios", str(broken)]) == 2
    assert "invalid scenario files" in capsys.readouterr().err
    assert not ready.exists()


def test_unwritable_ready_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ready = tmp_path / "no-such-dir" / "mockgw.url"
    assert main(["serve", "--port", "0", "--quiet", "--ready-file", str(ready)]) == 2
    err = capsys.readouterr().err
    assert f"--ready-file {ready}: cannot write it" in err
    assert "cannot listen" not in err
