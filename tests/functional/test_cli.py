"""``mockgw serve`` as CI runs it: a subprocess on port 0, announced, then stopped."""

from __future__ import annotations

import http.server
import json
import shlex
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockgw._version import __version__
from mockgw.background import BackgroundServer
from mockgw.cli import build_parser, config_from_args, main
from mockgw.config import ServerConfig


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


def _closed_port() -> int:
    """A port nothing listens on: bound by the OS to us, then given back."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_health_prints_the_servers_answer(
    open_server: BackgroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["health", open_server.url + "/"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # one JSON line, for `mockgw health URL | jq`
    answer = json.loads(out)
    assert answer["status"] == "ok"
    assert answer["version"] == __version__
    assert answer["uptime_seconds"] > 0


def test_health_needs_no_admin_token(capsys: pytest.CaptureFixture[str]) -> None:
    with BackgroundServer(ServerConfig(port=0, admin_token="t0ken")) as guarded:
        assert main(["health", guarded.url]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "ok"


def test_health_of_a_closed_port_fails_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    assert main(["health", url]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"mockgw: {url}/__mockgw/health: ")
    assert "refused" in captured.err.lower()


def test_health_fails_on_a_non_200_answer(
    open_server: BackgroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # Not mockgw's base URL: its health path is a route mockgw does not serve.
    assert main(["health", open_server.url + "/v1"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "HTTP 404" in err


def _answering(body: bytes) -> type[http.server.BaseHTTPRequestHandler]:
    """A handler that answers every GET with 200 and ``body``: something, not mockgw."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the test's output is the probe's, not this server's

    return Handler


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>a proxy's login page</html>", "the answer is not JSON"),
        (b'{"status": "starting"}', "not a mockgw health answer"),
    ],
)
def test_health_fails_when_the_answer_is_not_mockgws(
    body: bytes, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), _answering(body)) as other:
        thread = threading.Thread(target=other.serve_forever, daemon=True)
        thread.start()
        try:
            assert main(["health", f"http://127.0.0.1:{other.server_address[1]}"]) == 1
        finally:
            other.shutdown()
            thread.join(5)
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.rstrip("\n").endswith(reason)


def test_journal_bytes_takes_a_size_with_a_unit(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["serve", "--journal-bytes", "64MiB"])
    assert config_from_args(args).journal_bytes == 64 * 1024 * 1024
    default = config_from_args(build_parser().parse_args(["serve"]))
    assert default.journal_bytes == 256 * 1024 * 1024
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(["serve", "--journal-bytes", "lots"])
    assert caught.value.code == 2
    assert "'lots' is not a size; valid values are" in capsys.readouterr().err
