"""The one pipeline every request runs through, seen from the client and the journal.

One order of checks on every endpoint; every outcome the engine decides (a rule, a
spent rate limit, no match) journaled with its scenario and rule and named in
``x-mockgw-rule``; a request visible in the journal from the moment it arrives; and a
failure after a response has begun ending it as a broken stream, never as a second
response written into the first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from mockgw import MockGateway
from mockgw.core.chat import Completion
from mockgw.protocols.codec import Decoded, Route
from mockgw.protocols.openai.codec import ChatCompletions, OpenAICodec

KEY = "sk-pipeline"
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
MESSAGE = {
    "model": "claude-haiku-4-5",
    "max_tokens": 16,
    "messages": [{"role": "user", "content": "hi"}],
}
ANTHROPIC = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}


def post(url: str, body: Any, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def openai_post(url: str, body: Any = CHAT) -> tuple[int, dict[str, str], Any]:
    return post(url + "/v1/chat/completions", body, {"Authorization": f"Bearer {KEY}"})


@pytest.fixture(scope="module")
def gateway() -> Iterator[MockGateway]:
    with MockGateway(max_wait_seconds=2.0) as running:
        yield running


# --- outcomes are journaled with what decided them ---------------------------------------


def test_rate_limit_refusal_names_its_scenario_and_limits(gateway: MockGateway) -> None:
    gateway.add_scenario(
        "scenario: tight\nlimits: {rpm: 1, per: session}\nrules:\n  - reply: {text: ok}\n"
    )
    session = gateway.session(scenario="tight")
    assert openai_post(session.url)[0] == 200
    status, headers, body = openai_post(session.url)
    assert status == 429
    assert body["error"]["code"] == "rate_limit_exceeded"
    assert headers["x-mockgw-rule"] == "tight/<limits>"
    assert headers["x-ratelimit-limit-requests"] == "1"
    refused = session.requests(status=429)
    assert [(e.scenario, e.rule) for e in refused] == [("tight", "<limits>")]


def test_no_match_names_its_scenario_and_counts_as_a_miss(gateway: MockGateway) -> None:
    session = gateway.session(rules=[{"when": {"last_user": "ping"}, "reply": {"text": "pong"}}])
    status, headers, body = openai_post(session.url)
    assert status == 404
    assert body["error"]["code"] == "mockgw_no_match"
    assert headers["x-mockgw-rule"] == f"inline-{session.id}-1/<unmatched>"
    (entry,) = session.requests()
    assert (entry.scenario, entry.rule, entry.code) == (
        f"inline-{session.id}-1",
        "<unmatched>",
        "mockgw_no_match",
    )
    assert session.misses.count == 1
    assert "Nearest rule: 'rules[0]'" in session.misses.reports[0]
    with pytest.raises(AssertionError, match="1 request\\(s\\) matched no rule"):
        session.check()


def test_every_endpoint_checks_in_one_order(gateway: MockGateway) -> None:
    # The body is validated before the scenario is looked up, on count_tokens as on
    # messages: a bad body under a typo'd /s/NAME is a 400, not a 404.
    for path in ("/v1/messages", "/v1/messages/count_tokens"):
        status, _, body = post(f"{gateway.url}/s/nope{path}", {"model": "x"}, ANTHROPIC)
        assert (status, body["error"]["message"]) == (400, "messages: Field required"), path
        status, headers, body = post(f"{gateway.url}/s/nope{path}", MESSAGE, ANTHROPIC)
        assert status == 404, path
        assert "no scenario named 'nope'" in body["error"]["message"]
        assert headers["x-mockgw-rule"] == "nope/<unknown>"


# --- the journal sees a request from its arrival -----------------------------------------


def test_a_hanging_request_is_in_flight_in_the_journal(gateway: MockGateway) -> None:
    session = gateway.session(rules=[{"name": "hang", "reply": {"fault": "hang"}}])
    client = threading.Thread(target=_hang_up, args=(session.url,))
    client.start()
    deadline = time.monotonic() + 1.5  # the hang lasts max_wait_seconds=2.0
    entries = session.requests()
    # Poll until the plan is in it: the entry exists from arrival, the rule once decided.
    while not (entries and entries[0].rule) and time.monotonic() < deadline:
        time.sleep(0.02)
        entries = session.requests()
    (entry,) = entries
    assert entry.in_flight
    assert entry.status is None
    assert entry.rule == "hang"
    assert entry.to_json()["in_flight"] is True
    client.join(5)
    (done,) = session.requests()
    assert not done.in_flight
    assert done.fault == "hang"
    assert entry.in_flight  # what a caller holds never changes under it


def _hang_up(url: str) -> None:
    # The hang ends with a dropped connection.
    with contextlib.suppress(OSError, ValueError, urllib.error.URLError):
        openai_post(url)


# --- connection faults keep the answer's headers ------------------------------------------


def test_close_after_headers_on_a_plain_request_sends_json_headers(gateway: MockGateway) -> None:
    session = gateway.session(rules=[{"reply": {"fault": "close_after_headers"}}])
    head = asyncio.run(_raw(session.url, CHAT))
    assert head.startswith(b"HTTP/1.1 200")
    assert b"Content-Type: application/json" in head
    assert b"x-request-id: req_" in head
    assert b"text/event-stream" not in head


# --- a failure after the headers breaks the response off ----------------------------------


class _BrokenEncoder(ChatCompletions):
    """An encoder with a bug that shows only once the stream's headers are out."""

    def events(self, completion: Completion, decoded: Decoded[None]) -> list[bytes]:
        return [*super().events(completion, decoded)[:2], "not bytes"]  # type: ignore[list-item]


class _BrokenCodec(OpenAICodec):
    def routes(self) -> Sequence[Route]:
        return (Route("POST", "/v1/chat/completions", _BrokenEncoder()),)


def test_a_bug_after_the_headers_breaks_the_stream_instead_of_a_second_response() -> None:
    with MockGateway(codecs=(_BrokenCodec,)) as broken:
        raw = asyncio.run(_raw(broken.url, {**CHAT, "stream": True}))
        (entry,) = broken.requests()
    assert raw.count(b"HTTP/1.1") == 1
    assert b"500" not in raw.split(b"\r\n", 1)[0]
    assert b"mockgw hit an internal error" not in raw
    assert not raw.endswith(b"0\r\n\r\n")  # no last chunk: the stream broke off
    assert entry.status == 200
    assert entry.error == "the response broke off after it began"


async def _raw(url: str, body: Any) -> bytes:
    """Everything the server sends for one request, until it closes the connection."""
    host, port = url.removeprefix("http://").split("/", 1)[0].split(":")
    path = url.removeprefix(f"http://{host}:{port}") + "/v1/chat/completions"
    payload = json.dumps(body).encode()
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        "Connection: close\r\n\r\n".encode()
        + payload
    )
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), timeout=5)
    writer.close()
    return data
