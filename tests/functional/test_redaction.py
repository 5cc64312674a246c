"""Credentials never leak: not into the journal, admin answers, error bodies or logs.

Real-looking keys are configured (``api_keys`` / ``--api-key``) and sent the ways
clients send them (``Authorization: Bearer``, ``x-api-key``), right and wrong; then
everything mockgw says afterwards is searched for them.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import anthropic
import openai
import pytest

from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig
from tests.functional.scenario_support import ANTHROPIC_MODEL, OPENAI_MODEL, write_scenarios

OPENAI_KEY = "sk-secret-openai-5f2b8c91d04e7a36"
ANTHROPIC_KEY = "sk-ant-secret-api03-77c1e9b24a0d5f18"
WRONG_KEY = "sk-secret-wrong-0a9b8c7d6e5f4a3b"
ADMIN_TOKEN = "admin-secret-3c4d5e6f7a8b"
SECRETS = (OPENAI_KEY, ANTHROPIC_KEY, WRONG_KEY, ADMIN_TOKEN)
ANTHROPIC_VERSION = {"anthropic-version": "2023-06-01"}
SCENARIOS = {
    "picky": """\
    scenario: picky
    rules:
      - name: only-hello
        when: {last_user: hello}
        reply: {text: "hi"}
    """,
    "by-header": """\
    scenario: by-header
    rules:
      - name: needs-other-key
        when: {headers: {authorization: "Bearer sk-some-other-key"}}
        reply: {text: "x"}
      - name: needs-other-ant-key
        when: {headers: {x-api-key: {contains: "sk-ant-other"}}}
        reply: {text: "y"}
    """,
}


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{where} shows a credential: {text[:2000]}"
        # Nor a long enough piece of one to be useful (a redaction keeps 4 + 4 chars).
        assert secret[5:-5] not in text, f"{where} shows part of a credential: {text[:2000]}"


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_scenarios(tmp_path_factory.mktemp("redaction"), SCENARIOS)


@pytest.fixture
def server(scenarios: Path) -> Iterator[BackgroundServer]:
    config = ServerConfig(
        port=0,
        scenarios_dir=scenarios,
        api_keys=frozenset({OPENAI_KEY, ANTHROPIC_KEY}),
        admin_token=ADMIN_TOKEN,
    )
    with BackgroundServer(config) as running:
        yield running


async def _post(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str], body: object
) -> tuple[int, str]:
    async with http.post(url, json=body, headers=headers) as response:
        return response.status, await response.text()


def _chat(model: str = OPENAI_MODEL, text: str = "hello") -> dict[str, object]:
    return {"model": model, "max_tokens": 20, "messages": [{"role": "user", "content": text}]}


async def test_no_credential_anywhere(
    server: BackgroundServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    said: list[str] = []  # every body mockgw sent back
    url = server.url
    # Through the SDKs: right keys, then a wrong one.
    async with openai.AsyncOpenAI(
        base_url=f"{url}/session/red/s/picky/v1", api_key=OPENAI_KEY, max_retries=0
    ) as oai:
        completion = await oai.chat.completions.create(**_chat())  # type: ignore[call-overload]
        assert completion.choices[0].message.content == "hi"
        with pytest.raises(openai.NotFoundError) as missed:
            await oai.chat.completions.create(**_chat(text="no rule"))  # type: ignore[call-overload]
        said.append(json.dumps(missed.value.body))
    async with openai.AsyncOpenAI(
        base_url=f"{url}/session/red/v1", api_key=WRONG_KEY, max_retries=0
    ) as bad:
        with pytest.raises(openai.AuthenticationError) as refused:
            await bad.chat.completions.create(**_chat())  # type: ignore[call-overload]
    message = refused.value.message
    said.append(json.dumps(refused.value.body))
    # Like the real API: the key's start and end, never the key.
    assert f"Incorrect API key provided: {WRONG_KEY[:4]}****{WRONG_KEY[-4:]}" in message
    async with anthropic.AsyncAnthropic(
        base_url=f"{url}/session/red/s/picky", api_key=ANTHROPIC_KEY, max_retries=0
    ) as ant:
        reply = await ant.messages.create(**_chat(ANTHROPIC_MODEL))  # type: ignore[call-overload]
        assert reply.content[0].text == "hi"
    async with anthropic.AsyncAnthropic(
        base_url=f"{url}/session/red", api_key=WRONG_KEY, max_retries=0
    ) as bad_ant:
        with pytest.raises(anthropic.AuthenticationError) as refused_ant:
            await bad_ant.messages.create(**_chat(ANTHROPIC_MODEL))  # type: ignore[call-overload]
        said.append(json.dumps(refused_ant.value.body))

    # By hand, each header form, right and wrong, both APIs, with the session header.
    session = {"X-Mockgw-Session": "red"}
    async with aiohttp.ClientSession() as http:
        for headers, path, body in [
            ({"Authorization": f"Bearer {OPENAI_KEY}"}, "/v1/chat/completions", _chat()),
            ({"Authorization": f"Bearer {WRONG_KEY}"}, "/v1/chat/completions", _chat()),
            ({"Authorization": WRONG_KEY}, "/v1/chat/completions", _chat()),  # no scheme
            (
                {"x-api-key": ANTHROPIC_KEY, **ANTHROPIC_VERSION},
                "/v1/messages",
                _chat(ANTHROPIC_MODEL),
            ),
            ({"x-api-key": WRONG_KEY, **ANTHROPIC_VERSION}, "/v1/messages", _chat(ANTHROPIC_MODEL)),
            (
                {"Authorization": f"Bearer {ANTHROPIC_KEY}", **ANTHROPIC_VERSION},
                "/v1/messages",
                _chat(ANTHROPIC_MODEL),
            ),
            # Invalid bodies and unknown routes are journaled or answered too.
            ({"Authorization": f"Bearer {OPENAI_KEY}"}, "/v1/chat/completions", {"model": 1}),
            ({"x-api-key": WRONG_KEY, **ANTHROPIC_VERSION}, "/v1/nowhere", {}),
            (
                {"Authorization": f"Bearer {OPENAI_KEY}", "Cookie": f"k={WRONG_KEY}"},
                "/s/picky/v1/chat/completions",
                _chat(text="unmatched"),
            ),
        ]:
            status, text = await _post(http, url + path, {**headers, **session}, body)
            assert status in (200, 400, 401, 404), text
            said.append(text)

        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        for route in [
            "/requests",
            "/requests?session=red",
            "/requests.jsonl",
            "/unmatched",
            "/scenarios",
            "/scenarios/active",
            "/sessions/red/state",
            "/version",
            "/health",
        ]:
            async with http.get(f"{url}/__mockgw{route}", headers=admin) as response:
                assert response.status == 200, route
                said.append(await response.text())
        async with http.get(f"{url}/__mockgw/requests", headers={"Authorization": "Bearer x"}) as r:
            assert r.status == 401
            said.append(await r.text())
        async with http.get(f"{url}/__mockgw/requests?session=red", headers=admin) as response:
            journal = (await response.json())["requests"]

    assert len(journal) == 14  # every request, the unknown route too
    (unrouted,) = [e for e in journal if e["code"] == "mockgw_no_route"]
    assert (unrouted["path"], unrouted["status"]) == ("/v1/nowhere", 404)
    for entry in journal:
        for name, value in entry["headers"].items():
            if name.lower() in ("authorization", "x-api-key", "cookie"):
                assert value == "[redacted]"
    statuses = [e["status"] for e in journal]
    assert statuses.count(401) == 5  # wrong keys are journaled, redacted
    for where, text in enumerate(said):
        assert_no_secret(text, f"response #{where}")
    # The server's loggers (the SDKs' own debug logs are not mockgw's to police).
    server_side = [
        r.getMessage() + (r.exc_text or "")
        for r in caplog.records
        if r.name.split(".")[0] in ("mockgw", "aiohttp", "asyncio")
    ]
    assert_no_secret("\n".join(server_side), "the log")
    assert_no_secret(repr(server.app), "the app")


async def test_near_miss_on_auth_header_does_not_quote_it(server: BackgroundServer) -> None:
    async with aiohttp.ClientSession() as http:
        texts = [
            (
                await _post(
                    http,
                    server.url + "/s/by-header/v1/chat/completions",
                    {"Authorization": f"Bearer {OPENAI_KEY}"},
                    _chat(),
                )
            )[1],
            (
                await _post(
                    http,
                    server.url + "/s/by-header/v1/messages",
                    {"x-api-key": ANTHROPIC_KEY, **ANTHROPIC_VERSION},
                    _chat(ANTHROPIC_MODEL),
                )
            )[1],
        ]
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with http.get(f"{server.url}/__mockgw/unmatched", headers=admin) as response:
            texts.append(await response.text())
    assert "needs-other-key" in texts[0]
    for text in texts:
        assert_no_secret(text, "a near miss")


def test_subprocess_logs_hold_no_credential(scenarios: Path, tmp_path: Path) -> None:
    ready = tmp_path / "url"
    command = [sys.executable, "-m", "mockgw", "serve", "--port", "0", "--ready-file", str(ready)]
    command += ["--scenarios", str(scenarios), "--admin-token", ADMIN_TOKEN]
    command += ["--api-key", OPENAI_KEY, "--api-key", ANTHROPIC_KEY, "--strict"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        while not ready.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        url = ready.read_text().strip()
        for headers, path, body in [
            ({"Authorization": f"Bearer {OPENAI_KEY}"}, "/v1/chat/completions", _chat()),
            ({"Authorization": f"Bearer {WRONG_KEY}"}, "/v1/chat/completions", _chat()),
            ({"x-api-key": WRONG_KEY, **ANTHROPIC_VERSION}, "/v1/messages", _chat(ANTHROPIC_MODEL)),
            (
                {"x-api-key": ANTHROPIC_KEY, **ANTHROPIC_VERSION},
                "/v1/messages",
                {**_chat(ANTHROPIC_MODEL), "unknown_field": 1},
            ),
            ({"Authorization": f"Bearer {ADMIN_TOKEN}"}, "/__mockgw/sessions", {"id": "x"}),
            ({"Authorization": f"Bearer {WRONG_KEY}"}, "/__mockgw/reset", {}),
        ]:
            request = urllib.request.Request(
                url + path,
                data=json.dumps(body).encode(),
                headers={**headers, "Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    text = response.read().decode()
            except urllib.error.HTTPError as error:
                text = error.read().decode()
            assert_no_secret(text, f"the answer to {path}")
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert stdout.startswith("mockgw listening on ")
    assert_no_secret(stdout, "stdout")
    assert_no_secret(stderr, "stderr")
