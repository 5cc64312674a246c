"""Slow and idle clients cannot hold a connection: header, body and keep-alive timeouts.

Each test runs a server with timeouts of a fraction of a second and checks, over a raw
socket, that the connection is closed after about that long (never before, within a
tolerance) and what the client was told: a 408 where a response is still possible.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig
from mockgw.web.app import RUNTIME
from tests.functional.scenario_support import write_scenarios

TIMEOUT = 0.5  # each timeout under test
LATE = 2.0  # how much later than TIMEOUT the close may come (a loaded CI machine)
CHAT = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}).encode()
HEAD = (
    b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Authorization: Bearer sk-slow\r\nContent-Type: application/json\r\n"
)


def _server(*, header: float, body: float, keepalive: float) -> Iterator[BackgroundServer]:
    config = ServerConfig(
        port=0,
        header_timeout_seconds=header,
        body_timeout_seconds=body,
        keepalive_timeout_seconds=keepalive,
    )
    with BackgroundServer(config) as server:
        yield server


@pytest.fixture(scope="module")
def slow() -> Iterator[BackgroundServer]:
    """Header and body timeouts of TIMEOUT; keep-alive long enough to stay out of the way."""
    yield from _server(header=TIMEOUT, body=TIMEOUT, keepalive=30)


@pytest.fixture(scope="module")
def short_keepalive() -> Iterator[BackgroundServer]:
    yield from _server(header=30, body=30, keepalive=TIMEOUT)


def _connect(server: BackgroundServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT + LATE + 3)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def _trickle(sock: socket.socket, data: bytes, *, every: float = 0.1) -> bytes:
    """Send ``data`` a byte at a time until the server closes; what it answered."""
    for index in range(len(data)):
        try:
            sock.sendall(data[index : index + 1])
        except OSError:  # closed on us: what it sent is in the receive buffer
            break
        sock.settimeout(every)
        try:
            if chunk := sock.recv(65536):
                sock.settimeout(TIMEOUT + LATE)
                return chunk + _read_until_closed(sock)
            return b""
        except TimeoutError:
            continue
    sock.settimeout(TIMEOUT + LATE)
    return _read_until_closed(sock)


def _split(reply: bytes) -> tuple[bytes, dict[str, str], Any]:
    head, _, body = reply.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return status_line.encode(), headers, json.loads(body) if body else None


def test_a_slowloris_head_gets_a_408_within_the_header_timeout(slow: BackgroundServer) -> None:
    """On main, a head trickled a byte at a time held the connection indefinitely."""
    with _connect(slow) as sock:
        started = time.monotonic()
        sock.sendall(HEAD)
        reply = _trickle(sock, b"X-Slow: " + b"a" * 200 + b"\r\n")
        took = time.monotonic() - started
    status, headers, body = _split(reply)
    assert b" 408 " in status
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    assert body["error"]["type"] == "mockgw_http_error"
    assert "within 0.5 s" in body["error"]["message"]
    assert TIMEOUT * 0.8 <= took <= TIMEOUT + LATE


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(
    slow: BackgroundServer,
) -> None:
    with _connect(slow) as sock:
        started = time.monotonic()
        reply = _read_until_closed(sock)
        took = time.monotonic() - started
    assert reply == b""  # nothing was asked: nothing to answer (as nginx does)
    assert TIMEOUT * 0.8 <= took <= TIMEOUT + LATE


def test_a_head_sent_in_pieces_within_the_timeout_is_answered(slow: BackgroundServer) -> None:
    """The header timer counts from the first byte; a head that makes it in time is fine,
    and a response longer than the header timeout is not cut by it."""
    with _connect(slow) as sock:
        sock.sendall(HEAD)
        time.sleep(TIMEOUT / 3)
        sock.sendall(
            b"X-Mockgw-Scenario: slow-first-token\r\nConnection: close\r\n"
            + f"Content-Length: {len(CHAT)}\r\n\r\n".encode()
            + CHAT
        )
        started = time.monotonic()
        reply = _read_until_closed(sock)
    status, _, body = _split(reply)
    assert b" 200 " in status, reply[:300]
    assert body["choices"][0]["message"]["content"]
    assert time.monotonic() - started >= 0.9  # the scenario's 1 s delay: > TIMEOUT


def test_a_trickled_body_gets_the_providers_408_and_a_close(slow: BackgroundServer) -> None:
    """On main, a body sent at a byte a second held its connection for as long as it took."""
    with _connect(slow) as sock:
        sock.sendall(HEAD + f"Content-Length: {len(CHAT)}\r\n\r\n".encode())
        started = time.monotonic()
        reply = _trickle(sock, CHAT)
        took = time.monotonic() - started
    status, _, body = _split(reply)
    assert b" 408 " in status, reply[:300]
    assert body["error"]["code"] == "request_timeout"  # the OpenAI shape, not a neutral one
    assert "within 0.5 s" in body["error"]["message"]
    assert TIMEOUT * 0.8 <= took <= TIMEOUT + LATE
    with urllib.request.urlopen(slow.url + "/__mockgw/requests?status=408", timeout=5) as answer:
        (entry,) = json.load(answer)["requests"]
    assert (entry["path"], entry["in_flight"]) == ("/v1/chat/completions", False)


def test_an_admin_body_that_trickles_gets_a_408_too(slow: BackgroundServer) -> None:
    document = b'{"scenario": "slow-admin", "rules": [{"reply": {"text": "x"}}]}'
    with _connect(slow) as sock:
        sock.sendall(
            b"POST /__mockgw/scenarios HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\n"
            + f"Content-Length: {len(document)}\r\n\r\n".encode()
        )
        reply = _trickle(sock, document)
    status, _, body = _split(reply)
    assert b" 408 " in status, reply[:300]
    assert body["error"]["type"] == "mockgw_admin_error"


def test_an_idle_keepalive_connection_is_closed(short_keepalive: BackgroundServer) -> None:
    """On main, an idle keep-alive connection stayed open for about an hour."""
    with _connect(short_keepalive) as sock:
        sock.sendall(HEAD + f"Content-Length: {len(CHAT)}\r\n\r\n".encode() + CHAT)
        first = sock.recv(65536)
        assert b" 200 " in first.split(b"\r\n", 1)[0]
        started = time.monotonic()
        while sock.recv(65536):  # the rest of the answer, then the close
            pass
        took = time.monotonic() - started
    assert TIMEOUT * 0.8 <= took <= TIMEOUT + LATE


def test_a_malformed_request_gets_a_json_400(slow: BackgroundServer) -> None:
    """aiohttp answered its own parse errors in text/plain, which no client parses."""
    with _connect(slow) as sock:
        sock.sendall(HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n")
        reply = _read_until_closed(sock)
    status, headers, body = _split(reply)
    assert b" 400 " in status
    assert headers["content-type"].startswith("application/json")
    assert body["error"]["type"] == "mockgw_http_error"
    assert body["error"]["message"]


def test_the_timeouts_are_command_line_options() -> None:
    from mockgw.cli import build_parser, config_from_args

    args = build_parser().parse_args(
        ["serve", "--header-timeout", "5", "--body-timeout", "6", "--keepalive-timeout", "7.5"]
    )
    config = config_from_args(args)
    timeouts = (
        config.header_timeout_seconds,
        config.body_timeout_seconds,
        config.keepalive_timeout_seconds,
    )
    assert timeouts == (5.0, 6.0, 7.5)
    defaults = config_from_args(build_parser().parse_args(["serve"]))
    assert defaults.header_timeout_seconds == 60.0
    assert defaults.keepalive_timeout_seconds == 75.0


@pytest.mark.parametrize("value", ["0", "-1", "nan"])
def test_a_timeout_must_be_positive(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    from mockgw.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--body-timeout", value])
    assert "positive number of seconds" in capsys.readouterr().err


# --- in process: what the subprocess tests in test_serve_limits.py do not measure ------------


def _on_loop(server: BackgroundServer, call: Any) -> Any:
    async def run() -> Any:
        return call()

    return asyncio.run_coroutine_threadsafe(run(), server._loop).result(5)


def test_out_of_descriptors_sheds_the_longest_idle_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="mockgw")
    with BackgroundServer(ServerConfig(port=0)) as server:
        listener = server._listener
        assert listener is not None
        idle = [_connect(server) for _ in range(20)]
        deadline = time.monotonic() + 5
        while listener.connections < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        (sock,) = listener.sockets
        full = OSError(errno.EMFILE, "Too many open files")
        for _ in range(2):  # accept() fails twice in a row: one warning
            _on_loop(server, lambda: listener._out_of_descriptors(sock, full))
        assert idle[0].recv(1) == b""  # the oldest idle connection was closed
        time.sleep(0.2)  # accepting again after the retry delay
        with urllib.request.urlopen(server.url + "/__mockgw/health", timeout=5) as answer:
            assert answer.status == 200
        for connection in idle:
            connection.close()
    warnings = [r.getMessage() for r in caplog.records if "file descriptors" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert "closed 2 idle ones" in warnings[0]


def test_stop_drops_a_response_still_going_after_the_grace(tmp_path: Path) -> None:
    directory = write_scenarios(
        tmp_path, {"hang": "scenario: hang\nrules:\n  - reply: {fault: hang}\n"}
    )
    config = ServerConfig(port=0, scenarios_dir=directory, scenario="hang", max_wait_seconds=30)
    server = BackgroundServer(config).start()
    with _connect(server) as sock:
        sock.sendall(HEAD + f"Content-Length: {len(CHAT)}\r\n\r\n".encode() + CHAT)
        time.sleep(0.2)
        started = time.monotonic()
        server.stop()
        took = time.monotonic() - started
        assert sock.recv(1) == b""
    assert 0.8 <= took <= 1.0 + LATE  # the background server's 1 s grace, once
    assert server.app is not None
    (entry,) = server.app[RUNTIME].journal.query()
    assert (entry.in_flight, entry.status, entry.code) == (False, 444, "mockgw_shutdown")
