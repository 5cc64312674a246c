"""The OpenAI endpoint over raw HTTP: every malformed request gets the real API's 4xx."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from mockgw.background import BackgroundServer
from tests.conftest import API_KEY
from tests.openai_cases import MALFORMED, MalformedCase

AUTH = {"Authorization": f"Bearer {API_KEY}"}
GOOD: dict[str, Any] = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
async def http(server: BackgroundServer) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=server.url) as session:
        yield session


def assert_error_shape(body: dict[str, Any]) -> dict[str, Any]:
    assert list(body) == ["error"]
    error = body["error"]
    assert isinstance(error, dict)
    assert set(error) == {"message", "type", "param", "code"}
    return error


@pytest.mark.parametrize("case", MALFORMED, ids=[c.id for c in MALFORMED])
async def test_malformed_request(http: aiohttp.ClientSession, case: MalformedCase) -> None:
    async with http.post("/v1/chat/completions", json=case.body, headers=AUTH) as response:
        body = await response.json()
        assert response.status == case.status
        assert response.headers["x-request-id"].startswith("req_")
    error = assert_error_shape(body)
    assert error == {
        "message": case.message,
        "type": "invalid_request_error",
        "param": case.param,
        "code": case.code,
    }


async def test_missing_key_gets_openai_exact_body(http: aiohttp.ClientSession) -> None:
    async with http.post("/v1/chat/completions", json=GOOD) as response:
        assert response.status == 401
        error = assert_error_shape(await response.json())
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("You didn't provide an API key.")
    assert error["param"] is None
    assert error["code"] is None


@pytest.mark.parametrize(
    ("headers", "data", "status", "code"),
    [
        pytest.param({"Content-Type": "application/json"}, b"{not json", 400, None, id="bad-json"),
        pytest.param({"Content-Type": "application/json"}, b"", 400, None, id="empty-body"),
        pytest.param(
            {"Content-Type": "application/json"}, b"[1, 2]", 400, "invalid_type", id="array"
        ),
        pytest.param(
            {"Content-Type": "application/json"}, b'"text"', 400, "invalid_type", id="string"
        ),
        pytest.param(
            {"Content-Type": "text/plain"},
            json.dumps(GOOD).encode(),
            400,
            "invalid_content_type",
            id="content-type",
        ),
        pytest.param({"Content-Type": "application/json"}, b"\xff\xfe", 400, None, id="not-utf8"),
    ],
)
async def test_body_level_errors(
    http: aiohttp.ClientSession, headers: dict[str, str], data: bytes, status: int, code: str | None
) -> None:
    async with http.post(
        "/v1/chat/completions", data=data, headers={**AUTH, **headers}
    ) as response:
        assert response.status == status
        error = assert_error_shape(await response.json())
    assert error["code"] == code
    assert error["type"] == "invalid_request_error"


async def test_oversized_body_is_413() -> None:
    from mockgw.config import ServerConfig

    with BackgroundServer(ServerConfig(port=0, max_body_bytes=1024)) as small:
        async with aiohttp.ClientSession(base_url=small.url) as session:
            big = {**GOOD, "messages": [{"role": "user", "content": "x" * 4096}]}
            async with session.post("/v1/chat/completions", json=big, headers=AUTH) as response:
                assert response.status == 413
                error = assert_error_shape(await response.json())
    assert error["code"] == "request_too_large"


async def test_unknown_route_is_provider_shaped_404(http: aiohttp.ClientSession) -> None:
    async with http.post("/v1/chat/complete", json=GOOD, headers=AUTH) as response:
        assert response.status == 404
        error = assert_error_shape(await response.json())
    assert error["message"] == "Invalid URL (POST /v1/chat/complete)"


async def test_accept_header_does_not_decide_streaming(http: aiohttp.ClientSession) -> None:
    headers = {**AUTH, "Accept": "application/json"}
    async with http.post(
        "/v1/chat/completions", json={**GOOD, "stream": True}, headers=headers
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        text = await response.text()
    events = [line for line in text.split("\n\n") if line]
    assert all(e.startswith("data: ") for e in events)
    assert events[-1] == "data: [DONE]"


async def test_health(http: aiohttp.ClientSession) -> None:
    async with http.get("/__mockgw/health") as response:
        assert response.status == 200
        body = await response.json()
    assert body["status"] == "ok"
    assert body["version"]
    assert body["uptime_seconds"] >= 0


@pytest.mark.parametrize("prefix", ["/s/echo", "/session/abc", "/session/abc/s/echo"])
async def test_models_are_served_under_prefixes(open_server: BackgroundServer, prefix: str) -> None:
    async with (
        aiohttp.ClientSession(base_url=open_server.url) as session,
        session.get(f"{prefix}/v1/models/gpt-4o", headers=AUTH) as response,
    ):
        assert response.status == 200
        assert (await response.json())["id"] == "gpt-4o"
