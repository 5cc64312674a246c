"""``--max-wait`` bounds the whole response, not each wait: no scripted behaviour holds a
connection longer, and a response it cuts is journaled as ``mockgw_max_wait``.

On main every wait was capped on its own, so ``fail: {after: 20s}`` held a connection
20 s with a 2 s maximum, and a delay, a time to first token and slow events added up.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig
from tests.functional.scenario_support import write_scenarios

MAX_WAIT = 1.0
LATE = 1.0  # tolerance over MAX_WAIT for a loaded CI machine (the bound measured is 0.5 s)
TEXT = " ".join(["word"] * 40)

SCENARIO = f"""\
    scenario: waits
    rules:
      - name: fail-after-long
        when: {{last_user: fail-after-long}}
        reply: {{text: "{TEXT}", stream: {{every: 10ms, fail: {{after: 20s, with: error}}}}}}
      - name: waits-add-up
        when: {{last_user: waits-add-up}}
        reply:
          text: "{TEXT}"
          delay: 600ms
          stream: {{ttft: 600ms, every: 60s, fail: {{after_events: 3, with: stall}}}}
      - name: slow-events
        when: {{last_user: slow-events}}
        reply: {{text: "{TEXT}", stream: {{every: 60s}}}}
      - name: long-delay
        when: {{last_user: long-delay}}
        reply: {{text: "{TEXT}", delay: 20s}}
      - name: delay-then-hang
        when: {{last_user: delay-then-hang}}
        reply: {{delay: 600ms, fault: hang}}
      - name: in-time
        reply: {{text: "{TEXT}", delay: 100ms, stream: {{every: 1ms}}}}
    """

CUT = ("fail-after-long", "waits-add-up", "slow-events", "long-delay")


@pytest.fixture(scope="module")
def waits(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    directory = write_scenarios(tmp_path_factory.mktemp("waits"), {"waits": SCENARIO})
    config = ServerConfig(
        port=0, scenarios_dir=Path(directory), scenario="waits", max_wait_seconds=MAX_WAIT
    )
    with BackgroundServer(config) as running:
        yield running


def _held(server: BackgroundServer, prompt: str, *, stream: bool) -> tuple[float, bytes]:
    """How long the server held one request's connection, and what it sent."""
    body = json.dumps(
        {"model": "gpt-4o", "stream": stream, "messages": [{"role": "user", "content": prompt}]}
    ).encode()
    request = (
        f"POST /session/{prompt}/v1/chat/completions HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\nAuthorization: Bearer sk-wait\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body
    received = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=MAX_WAIT + 10) as sock:
        started = time.monotonic()
        sock.sendall(request)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
        return time.monotonic() - started, received


def _entry(server: BackgroundServer, session: str) -> dict[str, Any]:
    query = urllib.parse.urlencode({"session": session})
    with urllib.request.urlopen(f"{server.url}/__mockgw/requests?{query}", timeout=5) as reply:
        (entry,) = json.load(reply)["requests"]
    assert isinstance(entry, dict)
    return entry


def test_no_scripted_wait_holds_a_connection_past_max_wait(waits: BackgroundServer) -> None:
    cases = [(prompt, prompt != "long-delay") for prompt in (*CUT, "delay-then-hang")]
    with ThreadPoolExecutor(len(cases)) as pool:
        held = pool.map(lambda case: _held(waits, case[0], stream=case[1]), cases)
        results = dict(zip(cases, held, strict=True))
    for (prompt, _), (took, received) in results.items():
        assert MAX_WAIT * 0.9 <= took <= MAX_WAIT + LATE, (prompt, took)
        entry = _entry(waits, prompt)
        assert not entry["in_flight"], prompt
        if prompt in CUT:
            assert entry["code"] == "mockgw_max_wait", (prompt, entry)
            assert "--max-wait 1 s" in entry["error"], entry
            assert b"[DONE]" not in received, prompt  # cut, not completed early
    assert results[("long-delay", False)][1] == b""  # cut before anything was sent
    assert _entry(waits, "long-delay")["status"] == 444
    assert _entry(waits, "slow-events")["status"] == 200  # its headers had gone out


def test_a_response_within_max_wait_is_untouched(waits: BackgroundServer) -> None:
    took, received = _held(waits, "in-time", stream=True)
    assert took < MAX_WAIT
    assert received.rstrip().endswith(b"0")  # the chunked body's last chunk
    assert b"data: [DONE]" in received
    entry = _entry(waits, "in-time")
    assert (entry["status"], entry["code"]) == (200, None)
