"""Every API request is visible: in the journal, as a typed entry, and in the access log.

Requests mockgw has no route for (a path it does not emulate, a method its path does
not take) are answered in the provider's shape and journaled with mockgw's reason;
the access log has one line per request, credentials, query strings and bodies never
in it. ``mockgw serve`` writes it to standard error unless ``--quiet``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import openai
import pytest

from mockgw.gateway import GatewaySession, MockGateway
from mockgw.state.journal import NO_ROUTE, WRONG_METHOD, Entry, Headers
from mockgw.web.frame import access_log

KEY = "sk-visible-5b1e9c0d7a2f4e86"
OAI = {"Authorization": f"Bearer {KEY}"}
ANT = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
CHAT = {"model": "gpt-4o", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def gateway() -> Iterator[MockGateway]:
    with MockGateway(api_keys=[KEY]) as running:
        yield running


@pytest.fixture
def session(gateway: MockGateway) -> Iterator[GatewaySession]:
    with gateway.session() as opened:
        yield opened


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "mockgw.access"]


async def access_line(caplog: pytest.LogCaptureFixture, request_id: str) -> str:
    """The request's line. A stream's last bytes go out before the exchange ends (and
    logs), so a client can have read them a moment before the line is written."""
    for _ in range(200):
        found = [line for line in access_lines(caplog) if request_id in line]
        if found:
            (line,) = found
            return line
        await asyncio.sleep(0.005)
    raise AssertionError(f"no access log line for {request_id}")


# --- unrouted requests ----------------------------------------------------------------------


async def test_an_unserved_path_is_journaled_and_logged_with_its_reason(
    session: GatewaySession, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mockgw.access")
    url = f"{session.url}/v1/images/generations"
    async with http.post(url, json={"model": "gpt-4o", "input": "hi"}, headers=OAI) as response:
        assert response.status == 404
        body = await response.json()
    # The wire is the provider's own 404, untouched.
    path = f"/session/{session.id}/v1/images/generations"
    assert body["error"]["message"] == f"Invalid URL (POST {path})"
    (entry,) = session.requests()
    assert (entry.method, entry.path, entry.status, entry.in_flight) == ("POST", path, 404, False)
    assert (entry.code, entry.error) == (NO_ROUTE, f"no such endpoint: POST {path}")
    assert entry.api == "openai"  # the codec that answered (the default)
    assert entry.headers["Authorization"] == "[redacted]"
    assert entry.request_id == response.headers["x-request-id"]
    (line,) = [line for line in access_lines(caplog) if entry.request_id in line]
    assert f'"POST {path} HTTP/1.1" 404 ' in line
    assert f"session={session.id} " in line
    assert line.endswith(f"code={NO_ROUTE}")


async def test_a_wrong_method_gets_the_providers_404_with_allow(
    session: GatewaySession, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mockgw.access")
    base = session.url
    cases = [
        ("GET", "/v1/chat/completions", OAI, "POST"),
        ("DELETE", "/v1/models", OAI, "GET, HEAD"),
        ("POST", "/v1/models/gpt-4o", OAI, "GET, HEAD"),
        ("GET", "/v1/messages", ANT, "POST"),
        ("PUT", "/v1/messages/count_tokens", ANT, "POST"),
    ]
    for method, path, headers, allowed in cases:
        async with http.request(method, base + path, headers=headers) as response:
            assert response.status == 404, (method, path)
            assert response.headers["Allow"] == allowed
            body = await response.json()
        if headers is OAI:
            assert body["error"]["message"] == f"Invalid URL ({method} /session/{session.id}{path})"
        else:
            assert body["error"] == {"type": "not_found_error", "message": "Not Found"}
    entries = session.requests()
    assert [(e.method, e.code) for e in entries] == [(m, WRONG_METHOD) for m, *_ in cases]
    assert [e.api for e in entries] == ["openai", "openai", "openai", "anthropic", "anthropic"]
    first = entries[0]
    assert first.error == (
        f"method GET not allowed on /session/{session.id}/v1/chat/completions; allowed: POST"
    )
    logged = [line for line in access_lines(caplog) if f"session={session.id} " in line]
    assert len(logged) == len(cases)
    assert all(line.endswith(f"code={WRONG_METHOD}") for line in logged)


async def test_an_unrouted_request_without_prefix_goes_to_the_header_session(
    gateway: MockGateway, session: GatewaySession, http: aiohttp.ClientSession
) -> None:
    headers = {**OAI, **session.headers}
    async with http.post(
        f"{gateway.url}/v1/images/generations", json={}, headers=headers
    ) as response:
        assert response.status == 404
    assert [e.path for e in session.requests()] == ["/v1/images/generations"]


async def test_a_session_only_unrouted_requests_used_is_known_to_the_admin_api(
    gateway: MockGateway, http: aiohttp.ClientSession
) -> None:
    state = f"{gateway.url}/__mockgw/sessions/only-unrouted/state"
    async with http.get(state) as response:
        assert response.status == 404  # never seen
    async with http.post(
        f"{gateway.url}/session/only-unrouted/v1/images/generations", headers=OAI
    ) as r:
        assert r.status == 404
    async with http.get(state) as response:
        assert response.status == 200


async def test_admin_requests_stay_out_of_journal_and_access_log(
    gateway: MockGateway,
    session: GatewaySession,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="mockgw.access")
    before = len(gateway.requests())
    for path in ("/__mockgw/nowhere", "/__mockgw/requests", "/__mockgw/health"):
        async with http.get(gateway.url + path, headers=session.headers) as response:
            assert response.status in (200, 404)
    assert len(gateway.requests()) == before
    assert not [line for line in access_lines(caplog) if "/__mockgw/" in line]


# --- ignored fields -------------------------------------------------------------------------


async def test_ignored_fields_are_named_in_the_entry_and_the_admin_json(
    gateway: MockGateway, session: GatewaySession, http: aiohttp.ClientSession
) -> None:
    body = {**CHAT, "temperatur": 0.5, "messages": [{"role": "user", "content": "hi", "nam": 1}]}
    async with http.post(f"{session.url}/v1/chat/completions", json=body, headers=OAI) as response:
        assert response.status == 200
        warning = response.headers["x-mockgw-warning"]
    async with http.post(f"{session.url}/v1/chat/completions", json=CHAT, headers=OAI) as response:
        assert response.status == 200
    ignored, clean = session.requests()
    assert sorted(ignored.ignored) == ["messages[0].nam", "temperatur"]
    assert all(f"'{path}'" in warning for path in ignored.ignored)
    assert clean.ignored == []
    admin = f"{gateway.url}/__mockgw/requests?session={session.id}"
    async with http.get(admin) as response:
        listed = (await response.json())["requests"]
    assert [e["ignored"] for e in listed] == [ignored.ignored, []]


async def test_strict_mode_rejects_instead_of_ignoring(http: aiohttp.ClientSession) -> None:
    async with MockGateway(strict=True) as strict:
        url = f"{strict.url}/v1/chat/completions"
        async with http.post(url, json={**CHAT, "temperatur": 0.5}, headers=OAI) as response:
            assert response.status == 400
        (entry,) = strict.requests()
    assert entry.ignored == []


# --- the entry as a value -------------------------------------------------------------------


def test_an_entry_reads_like_its_json(session: GatewaySession) -> None:
    client = session.openai_client(max_retries=0)
    client.chat.completions.create(**CHAT)
    with pytest.raises(openai.NotFoundError):
        client.images.generate(model="dall-e-3", prompt="hi")
    answered, unrouted = session.requests()
    data = answered.to_json()
    # Mapping-style, as code copied from the admin API's JSON reads it.
    assert list(answered) == list(data) == list(answered.keys())
    assert answered["status"] == answered.status == data["status"] == 200
    assert unrouted["code"] == unrouted.get("code") == NO_ROUTE
    assert "status" in answered
    assert "nope" not in answered
    assert answered.get("nope", "default") == "default"
    with pytest.raises(KeyError):
        answered["nope"]
    assert dict(answered).keys() == data.keys()
    assert len(answered) == len(data)
    # The JSON is plain data, and rebuilds an equal entry.
    assert type(data["headers"]) is dict
    assert type(data["ignored"]) is list
    assert json.loads(json.dumps(data)) == data
    assert Entry(**data) == answered
    assert Entry(**data).headers["AUTHORIZATION"] == "[redacted]"


async def test_entry_headers_are_case_insensitive_and_read_only(
    session: GatewaySession, http: aiohttp.ClientSession
) -> None:
    sent = {**OAI, "X-Trace-Case": "AbC"}
    async with http.post(f"{session.url}/v1/chat/completions", json=CHAT, headers=sent) as r:
        assert r.status == 200
    (entry,) = session.requests()
    headers = entry.headers
    assert isinstance(headers, Headers)
    assert headers["Authorization"] == headers["authorization"] == "[redacted]"
    assert headers["x-trace-case"] == headers["X-TRACE-CASE"] == "AbC"
    assert headers.get("CONTENT-TYPE") == "application/json"
    assert "x-trace-case" in headers
    assert "X-Trace-Case" in headers
    assert "nope" not in headers
    assert headers.get("nope") is None
    # Iterated and serialised as sent: the names keep the client's spelling.
    as_json = entry.to_json()["headers"]
    assert "X-Trace-Case" in list(headers)
    assert "x-trace-case" not in list(headers)
    assert list(headers) == list(as_json)
    assert headers == as_json
    with pytest.raises(TypeError):
        headers["Authorization"] = KEY  # type: ignore[index]


def test_query_returns_copies(session: GatewaySession) -> None:
    session.openai_client(max_retries=0).chat.completions.create(**CHAT)
    (held,) = session.requests()
    held.status = 599  # the caller's copy is the caller's
    assert session.requests()[0].status == 200


# --- the access log -------------------------------------------------------------------------


async def test_access_log_escapes_the_path_and_never_writes_query_or_credentials(
    session: GatewaySession, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mockgw.access")
    url = f"{session.url}/v1/a%22b%20c%0Aforged%22?key={KEY}"
    async with http.post(url, json={"secret": KEY}, headers=OAI) as response:
        assert response.status == 404
        request_id = response.headers["x-request-id"]
    (line,) = [line for line in access_lines(caplog) if request_id in line]
    assert "\n" not in line
    assert f'"POST /session/{session.id}/v1/a\\"b c\\nforged\\" HTTP/1.1" 404 ' in line
    assert KEY not in line
    assert KEY[5:-5] not in line
    # A body whose length is known says it; a stream has none up front.
    status, size = line.split(' HTTP/1.1" ', 1)[1].split()[:2]
    assert (status, int(size)) == ("404", response.content_length)


async def test_access_log_line_of_an_answered_stream(
    session: GatewaySession, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mockgw.access")
    session.add_rules([{"name": "greet", "reply": {"text": "hello there"}}])
    url = f"{session.url}/v1/chat/completions"
    async with http.post(url, json={**CHAT, "stream": True}, headers=OAI) as response:
        assert response.status == 200
        await response.read()
        request_id = response.headers["x-request-id"]
    line = await access_line(caplog, request_id)
    rest = line.split('" ', 1)[1]
    status, size, duration = rest.split()[:3]
    assert (status, size) == ("200", "-")
    assert duration.endswith("ms")
    assert float(duration[:-2]) >= 0
    assert f"rule={session.requests()[0].scenario}/greet code=-" in line


async def test_silent_in_process_by_default(
    session: GatewaySession, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    # mockgw configures nothing itself: no handler, no level, so under Python's default
    # (the root logger at WARNING, as pytest leaves it) no line is even formatted.
    assert (access_log.handlers, access_log.level, access_log.propagate) == ([], 0, True)
    caplog.set_level(logging.WARNING)
    async with http.post(f"{session.url}/v1/images/generations", json={}, headers=OAI) as response:
        assert response.status == 404
    assert access_lines(caplog) == []
    assert session.requests()[0].code == NO_ROUTE  # journaled all the same


@pytest.mark.parametrize("quiet", [False, True], ids=["default", "quiet"])
def test_serve_writes_the_access_log_unless_quiet(tmp_path: Path, quiet: bool) -> None:
    ready = tmp_path / "url"
    command = [sys.executable, "-m", "mockgw", "serve", "--port", "0", "--ready-file", str(ready)]
    command += ["--api-key", KEY] + (["--quiet"] if quiet else [])
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        while not ready.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "mockgw never wrote its ready file"
            time.sleep(0.02)
        url = ready.read_text().strip()
        request = urllib.request.Request(
            f"{url}/v1/images/generations?api_key={KEY}",
            data=b"{}",
            headers={**OAI, "Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 404
        with urllib.request.urlopen(f"{url}/__mockgw/requests", timeout=5) as response:
            (entry,) = json.load(response)["requests"]
        assert (entry["path"], entry["status"], entry["code"]) == (
            "/v1/images/generations",
            404,
            NO_ROUTE,
        )
        assert entry["error"] == "no such endpoint: POST /v1/images/generations"
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert stdout.startswith("mockgw listening on ")
    assert KEY not in stdout + stderr
    logged = [
        line for line in stderr.splitlines() if '"POST /v1/images/generations HTTP/1.1"' in line
    ]
    if quiet:
        assert logged == []
        return
    (line,) = logged
    # The combined log format's start, bare (no "mockgw:" prefix), then mockgw's fields.
    assert line.startswith("127.0.0.1 - - [")
    assert '] "POST /v1/images/generations HTTP/1.1" 404 ' in line
    assert f"id={entry['request_id']} session=default rule=- code={NO_ROUTE}" in line
    assert "/__mockgw/" not in stderr
