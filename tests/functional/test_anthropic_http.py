"""The Anthropic endpoints over raw HTTP, the way older SDKs, curl and gateways call them:
``x-api-key`` with ``anthropic-version: 2023-06-01``. Every bad request gets the real
API's 4xx, in Anthropic's error shape, and never a 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict

from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig
from tests.anthropic_cases import MALFORMED, WEATHER_TOOL, MalformedCase, body
from tests.conftest import API_KEY

VERSION = {"anthropic-version": "2023-06-01"}
AUTH = {"x-api-key": API_KEY, **VERSION}
GOOD = body()
RATELIMIT_HEADERS = [
    f"anthropic-ratelimit-{kind}-{part}"
    for kind in ("requests", "tokens", "input-tokens", "output-tokens")
    for part in ("limit", "remaining", "reset")
]


@pytest.fixture
async def http(server: BackgroundServer) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=server.url) as session:
        yield session


async def error_of(response: aiohttp.ClientResponse, status: int) -> dict[str, Any]:
    """Check the Anthropic error envelope and return its ``error`` object."""
    payload = await response.json()
    assert response.status == status, payload
    assert response.content_type == "application/json"
    request_id = response.headers["request-id"]
    assert request_id.startswith("req_")
    assert list(payload) == ["type", "error", "request_id"]
    assert payload["type"] == "error"
    assert payload["request_id"] == request_id
    error = payload["error"]
    assert isinstance(error, dict)
    assert set(error) == {"type", "message"}
    return error


@pytest.mark.parametrize("case", MALFORMED, ids=[c.id for c in MALFORMED])
async def test_malformed_request(http: aiohttp.ClientSession, case: MalformedCase) -> None:
    async with http.post("/v1/messages", json=case.body, headers=AUTH) as response:
        payload = await response.json()
        assert response.status == case.status
        request_id = response.headers["request-id"]
    assert payload == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": case.message},
        "request_id": request_id,
    }


async def test_good_request_with_x_api_key(http: aiohttp.ClientSession) -> None:
    async with http.post("/v1/messages", json=GOOD, headers=AUTH) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        message = await response.json()
        headers = response.headers
    assert message["id"].startswith("msg_")
    assert message["type"] == "message"
    assert message["stop_reason"] == "end_turn"
    assert message["content"][0]["type"] == "text"
    assert headers["request-id"].startswith("req_")
    for name in RATELIMIT_HEADERS:
        assert name in headers, name
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", headers["anthropic-ratelimit-requests-reset"]
    )


# --- auth and version headers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status", "kind", "message"),
    [
        pytest.param(VERSION, 401, "authentication_error", "x-api-key header is required",
                     id="missing-key"),
        pytest.param({**VERSION, "x-api-key": ""}, 401, "authentication_error",
                     "x-api-key header is required", id="empty-key"),
        pytest.param({**VERSION, "x-api-key": "sk-ant-wrong"}, 401, "authentication_error",
                     "invalid x-api-key", id="wrong-key"),
        pytest.param({**VERSION, "Authorization": "Bearer sk-ant-wrong"}, 401,
                     "authentication_error", "invalid x-api-key", id="wrong-bearer"),
        pytest.param({"x-api-key": API_KEY}, 400, "invalid_request_error",
                     "anthropic-version: header is required", id="missing-version"),
        pytest.param({"x-api-key": API_KEY, "anthropic-version": "2024-01-01"}, 400,
                     "invalid_request_error",
                     'anthropic-version: "2024-01-01" is not a valid version',
                     id="unknown-version"),
    ],
)  # fmt: skip
async def test_header_errors(
    http: aiohttp.ClientSession, headers: dict[str, str], status: int, kind: str, message: str
) -> None:
    async with http.post("/v1/messages", json=GOOD, headers=headers) as response:
        error = await error_of(response, status)
        for name in RATELIMIT_HEADERS:
            assert name in response.headers, name
    assert error == {"type": kind, "message": message}
    assert "sk-ant-wrong" not in message


async def test_duplicated_version_header_is_rejected(http: aiohttp.ClientSession) -> None:
    headers = CIMultiDict([("x-api-key", API_KEY)])
    headers.add("anthropic-version", "2023-06-01")
    headers.add("anthropic-version", "2023-06-01")
    async with http.post("/v1/messages", json=GOOD, headers=headers) as response:
        error = await error_of(response, 400)
    assert error["message"] == 'anthropic-version: "2023-06-01, 2023-06-01" is not a valid version'


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Authorization": f"Bearer {API_KEY}", **VERSION}, id="bearer-2023"),
        pytest.param(
            {"Authorization": f"Bearer {API_KEY}", "anthropic-version": "2026-10-21"},
            id="bearer-2026",
        ),
        pytest.param({"x-api-key": API_KEY, "anthropic-version": "2026-10-21"}, id="key-2026"),
        pytest.param({"x-api-key": API_KEY, "anthropic-version": "2023-01-01"}, id="key-legacy"),
    ],
)
async def test_accepted_auth_and_versions(
    http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    async with http.post("/v1/messages", json=GOOD, headers=headers) as response:
        assert response.status == 200
        assert (await response.json())["type"] == "message"


async def test_query_string_is_ignored_by_routing(http: aiohttp.ClientSession) -> None:
    # beta resource methods call /v1/messages?beta=true
    async with http.post("/v1/messages?beta=true", json=GOOD, headers=AUTH) as response:
        assert response.status == 200


# --- body-level errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "data", "message"),
    [
        pytest.param("application/json", b"{not json", "The request body is not valid JSON: ",
                     id="bad-json"),
        pytest.param("application/json", b"", "The request body is not valid JSON: ",
                     id="empty-body"),
        pytest.param("application/json", b"\xff\xfe", "The request body is not valid JSON: ",
                     id="not-utf8"),
        pytest.param("application/json", b"[1, 2]",
                     "Input should be a valid dictionary or object to extract fields from",
                     id="array"),
        pytest.param("application/json", b"null",
                     "Input should be a valid dictionary or object to extract fields from",
                     id="null"),
        pytest.param("text/plain", json.dumps(GOOD).encode(),
                     "Invalid request: Content-Type must be application/json, got text/plain",
                     id="content-type"),
    ],
)  # fmt: skip
async def test_body_level_errors(
    http: aiohttp.ClientSession, content_type: str, data: bytes, message: str
) -> None:
    headers = {**AUTH, "Content-Type": content_type}
    for path in ("/v1/messages", "/v1/messages/count_tokens"):
        async with http.post(path, data=data, headers=headers) as response:
            error = await error_of(response, 400)
        assert error["type"] == "invalid_request_error"
        assert error["message"].startswith(message), error


async def test_oversized_body_is_413() -> None:
    with BackgroundServer(ServerConfig(port=0, max_body_bytes=1024)) as small:
        async with aiohttp.ClientSession(base_url=small.url) as session:
            big = body(messages=[{"role": "user", "content": "x" * 4096}])
            for path in ("/v1/messages", "/v1/messages/count_tokens"):
                async with session.post(path, json=big, headers=AUTH) as response:
                    error = await error_of(response, 413)
                assert error == {
                    "type": "request_too_large",
                    "message": "Request exceeds the maximum allowed number of bytes.",
                }
            # just under the limit still works
            async with session.post("/v1/messages", json=GOOD, headers=AUTH) as response:
                assert response.status == 200


async def test_unknown_model(http: aiohttp.ClientSession) -> None:
    async with http.post("/v1/messages", json=body(model="claude-2.1"), headers=AUTH) as response:
        error = await error_of(response, 404)
    assert error == {"type": "not_found_error", "message": "model: claude-2.1"}


async def test_unknown_field_warns_by_default(http: aiohttp.ClientSession) -> None:
    async with http.post("/v1/messages", json=body(frobnicate=1), headers=AUTH) as response:
        assert response.status == 200
        assert "frobnicate" in response.headers["x-mockgw-warning"]


async def test_unknown_field_rejected_when_strict(strict_server: BackgroundServer) -> None:
    async with (
        aiohttp.ClientSession(base_url=strict_server.url) as session,
        session.post("/v1/messages", json=body(frobnicate=1), headers=AUTH) as response,
    ):
        error = await error_of(response, 400)
    assert error["message"] == "frobnicate: Extra inputs are not permitted"


# --- streaming ------------------------------------------------------------------------------


def _parse_sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    assert text.endswith("\n\n")
    events = []
    for frame in text.split("\n\n")[:-1]:
        lines = frame.split("\n")
        assert len(lines) == 2, frame
        assert lines[0].startswith("event: "), frame
        assert lines[1].startswith("data: "), frame
        name = lines[0].removeprefix("event: ")
        data = json.loads(lines[1].removeprefix("data: "))
        assert data["type"] == name
        events.append((name, data))
    return events


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({}, id="text"),
        pytest.param({"tools": [WEATHER_TOOL], "tool_choice": {"type": "any"}}, id="tool"),
        pytest.param(
            {"thinking": {"type": "enabled", "budget_tokens": 1024}, "max_tokens": 2048},
            id="thinking",
        ),
    ],
)
async def test_sse_framing(http: aiohttp.ClientSession, extra: dict[str, Any]) -> None:
    async with http.post(
        "/v1/messages",
        json=body(stream=True, **extra),
        headers={**AUTH, "Accept": "application/json"},
    ) as response:
        assert response.status == 200
        assert response.content_type == "text/event-stream"
        assert response.headers["request-id"].startswith("req_")
        for name in RATELIMIT_HEADERS:
            assert name in response.headers, name
        text = await response.text()
    assert "[DONE]" not in text
    events = _parse_sse(text)
    names = [name for name, _ in events]
    assert names[0] == "message_start"
    # like the real API: one ping, right after the first block opens
    assert names[1:3] == ["content_block_start", "ping"]
    assert names.count("ping") == 1
    assert names[-2:] == ["message_delta", "message_stop"]
    start = events[0][1]["message"]
    assert start["content"] == []
    assert start["stop_reason"] is None
    assert start["usage"]["input_tokens"] > 0
    delta = events[-2][1]
    assert delta["usage"]["output_tokens"] > 0
    assert delta["delta"]["stop_reason"] in ("end_turn", "tool_use")
    async with http.post("/v1/messages", json=body(**extra), headers=AUTH) as response:
        plain = await response.json()
    assert delta["usage"]["output_tokens"] == plain["usage"]["output_tokens"]
    assert delta["delta"]["stop_reason"] == plain["stop_reason"]
    assert start["usage"]["input_tokens"] == plain["usage"]["input_tokens"]


async def test_stream_false_is_plain_json(http: aiohttp.ClientSession) -> None:
    async with http.post("/v1/messages", json=body(stream=False), headers=AUTH) as response:
        assert response.content_type == "application/json"
        assert (await response.json())["type"] == "message"


# --- count_tokens, models, unknown paths ----------------------------------------------------


async def test_count_tokens(http: aiohttp.ClientSession) -> None:
    counted_body = {"model": GOOD["model"], "messages": GOOD["messages"]}
    async with http.post("/v1/messages/count_tokens", json=counted_body, headers=AUTH) as response:
        assert response.status == 200
        assert response.headers["request-id"].startswith("req_")
        counted = await response.json()
    async with http.post("/v1/messages", json=GOOD, headers=AUTH) as response:
        created = await response.json()
    assert counted == {"input_tokens": created["usage"]["input_tokens"]}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        pytest.param({"messages": GOOD["messages"]}, "model: Field required", id="no-model"),
        pytest.param({"model": GOOD["model"]}, "messages: Field required", id="no-messages"),
        pytest.param(
            {"model": GOOD["model"], "messages": [{"role": "user", "content": 7}]},
            "messages.0.content: Input should be a valid string",
            id="bad-content",
        ),
        pytest.param(
            {**GOOD, "tool_choice": {"type": "any"}},
            "tool_choice: tool_choice may only be specified while providing tools.",
            id="semantic",
        ),
    ],
)
async def test_count_tokens_malformed(
    http: aiohttp.ClientSession, payload: dict[str, Any], message: str
) -> None:
    async with http.post("/v1/messages/count_tokens", json=payload, headers=AUTH) as response:
        error = await error_of(response, 400)
    assert error == {"type": "invalid_request_error", "message": message}


async def test_count_tokens_needs_auth(http: aiohttp.ClientSession) -> None:
    async with http.post("/v1/messages/count_tokens", json=GOOD, headers=VERSION) as response:
        error = await error_of(response, 401)
    assert error["message"] == "x-api-key header is required"


async def test_models_shape_depends_on_anthropic_version(http: aiohttp.ClientSession) -> None:
    async with http.get("/v1/models", headers=AUTH) as response:
        assert response.status == 200
        assert response.headers["request-id"].startswith("req_")
        anthropic_page = await response.json()
    assert set(anthropic_page) == {"data", "has_more", "first_id", "last_id"}
    assert anthropic_page["data"][0]["type"] == "model"
    assert set(anthropic_page["data"][0]) == {
        "type",
        "id",
        "display_name",
        "created_at",
        "lifecycle",
        "deprecated_at",
        "retires_at",
    }
    assert all(m["id"].startswith("claude") for m in anthropic_page["data"])
    async with http.get("/v1/models", headers={"Authorization": f"Bearer {API_KEY}"}) as response:
        assert response.status == 200
        assert "x-request-id" in response.headers
        openai_page = await response.json()
    assert openai_page["object"] == "list"
    assert openai_page["data"][0]["object"] == "model"
    async with http.get("/v1/models/claude-opus-4-5-20251101", headers=AUTH) as response:
        model = await response.json()
    assert model == {
        "type": "model",
        "id": "claude-opus-4-5-20251101",
        "display_name": "Claude Opus 4.5",
        "created_at": "2025-11-01T00:00:00Z",
        "lifecycle": "deprecated",
        "deprecated_at": None,
        "retires_at": "2027-01-22T00:00:00Z",
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param("limit=0", "limit: Input should be greater than or equal to 1", id="zero"),
        pytest.param(
            "limit=1001", "limit: Input should be less than or equal to 1000", id="too-big"
        ),
        pytest.param("limit=ten", "limit: Input should be a valid integer", id="not-int"),
    ],
)
async def test_models_bad_limit(http: aiohttp.ClientSession, query: str, message: str) -> None:
    async with http.get(f"/v1/models?{query}", headers=AUTH) as response:
        error = await error_of(response, 400)
    assert error["message"] == message


async def test_models_before_id(http: aiohttp.ClientSession) -> None:
    async with http.get("/v1/models?limit=4", headers=AUTH) as response:
        first = await response.json()
    ids = [m["id"] for m in first["data"]]
    async with http.get(f"/v1/models?limit=2&before_id={ids[3]}", headers=AUTH) as response:
        before = await response.json()
    assert [m["id"] for m in before["data"]] == ids[1:3]
    assert before["has_more"] is True


async def test_models_need_auth(http: aiohttp.ClientSession) -> None:
    async with http.get("/v1/models/claude-opus-4-5-20251101", headers=VERSION) as response:
        error = await error_of(response, 401)
    assert error["type"] == "authentication_error"


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("POST", "/v1/messages/nope", AUTH),
        ("POST", "/v1/messages/batches/x/y", {}),
        ("GET", "/v1/messages", AUTH),
        ("POST", "/v1/complete-ish", AUTH),
    ],
)
async def test_unknown_path_is_anthropic_404(
    http: aiohttp.ClientSession, method: str, path: str, headers: dict[str, str]
) -> None:
    async with http.request(method, path, json=GOOD, headers=headers) as response:
        error = await error_of(response, 404)
    assert error == {"type": "not_found_error", "message": "Not Found"}
