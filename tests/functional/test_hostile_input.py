"""Hostile and odd input, found by review and fuzzing: never a 500, never a hang."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mockgw.background import BackgroundServer
from mockgw.scenarios.loader import ScenarioLoadError, load_scenarios

KEY = {"Authorization": "Bearer sk-hostile"}
ANTHROPIC = {"x-api-key": "sk-hostile", "anthropic-version": "2023-06-01"}
HELLO: list[dict[str, Any]] = [{"role": "user", "content": "hello"}]


@pytest.fixture
async def http(open_server: BackgroundServer) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=open_server.url) as session:
        yield session


def _forced(parameters: dict[str, Any] | None) -> dict[str, Any]:
    function: dict[str, Any] = {"name": "f"}
    if parameters is not None:
        function["parameters"] = parameters
    return {
        "model": "gpt-4o",
        "messages": HELLO,
        "tools": [{"type": "function", "function": function}],
        "tool_choice": "required",
    }


@pytest.mark.parametrize(
    "parameters",
    [
        pytest.param(
            {"type": "object", "properties": {"a": {"type": "string", "minLength": 10**8}}},
            id="huge-minLength",
        ),
        pytest.param(
            {"type": "object", "properties": {"a": {"type": "array", "minItems": 10**7}}},
            id="huge-minItems",
        ),
        pytest.param(
            {"type": "object", "properties": {c: {"$ref": "#"} for c in "abcdefghijklmnop"}},
            id="recursive-refs",
        ),
        pytest.param(
            {"type": "object", "properties": {"a": {"type": "array", "minItems": "x"}}},
            id="string-bound",
        ),
        pytest.param(
            {"type": "object", "properties": {"a": {"type": "integer", "minimum": {}}}},
            id="object-bound",
        ),
        pytest.param({"type": "object", "allOf": [{"$ref": 5}]}, id="non-string-ref"),
        pytest.param(None, id="no-parameters"),
    ],
)
async def test_any_tool_schema_gets_object_arguments_quickly(
    http: aiohttp.ClientSession, parameters: dict[str, Any] | None
) -> None:
    started = time.perf_counter()
    async with http.post("/v1/chat/completions", json=_forced(parameters), headers=KEY) as reply:
        assert reply.status == 200
        body = await reply.json()
    assert time.perf_counter() - started < 5
    arguments = body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    assert isinstance(json.loads(arguments), dict)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"model": "gpt-4o", "messages": [], "temperature": NaN}', id="nan"),
        pytest.param(b'{"model": "gpt-4o", "temperature": Infinity}', id="infinity"),
        pytest.param(b"[" * 50_000 + b"]" * 50_000, id="deep-nesting"),
        pytest.param(
            b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "\\ud800"}]}',
            id="lone-surrogate",
        ),
    ],
)
@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages"])
async def test_not_json_is_a_400(http: aiohttp.ClientSession, raw: bytes, path: str) -> None:
    headers = {**KEY, **ANTHROPIC, "Content-Type": "application/json"}
    async with http.post(path, data=raw, headers=headers) as reply:
        assert reply.status == 400
        body = await reply.json()
    assert "error" in body


async def test_unknown_field_names_cannot_break_the_warning_header(
    http: aiohttp.ClientSession,
) -> None:
    body: dict[str, Any] = {"model": "gpt-4o", "messages": HELLO, "a\u0001b\u007f": 1}
    body.update({f"unknown_field_{i}_" + "x" * 40: i for i in range(2000)})
    async with http.post("/v1/chat/completions", json=body, headers=KEY) as reply:
        assert reply.status == 200
        warning = reply.headers["x-mockgw-warning"]
    assert len(warning) <= 4096
    assert "\x01" not in warning


async def test_anthropic_lax_values_are_read_as_coerced(http: aiohttp.ClientSession) -> None:
    body = {
        "model": "claude-haiku-4-5",
        "max_tokens": "5",
        "stream": "false",
        "messages": HELLO,
    }
    async with http.post("/v1/messages", json=body, headers=ANTHROPIC) as reply:
        assert reply.status == 200
        assert reply.headers["Content-Type"].startswith("application/json")
        message = await reply.json()
    assert message["usage"]["output_tokens"] <= 5


async def test_adaptive_thinking_stays_within_max_tokens(http: aiohttp.ClientSession) -> None:
    body = {
        "model": "claude-haiku-4-5",
        "max_tokens": 5,
        "thinking": {"type": "adaptive"},
        "messages": HELLO,
    }
    async with http.post("/v1/messages", json=body, headers=ANTHROPIC) as reply:
        message = await reply.json()
    assert message["usage"]["output_tokens"] <= 5
    assert message["stop_reason"] == "max_tokens"


async def test_allowed_tools_restrict_a_required_choice(http: aiohttp.ClientSession) -> None:
    tools = [
        {"type": "function", "function": {"name": n, "parameters": {"type": "object"}}}
        for n in "abcd"
    ]
    called: set[str] = set()
    for i in range(12):
        body = {
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": f"call {i}"}],
            "tools": tools,
            "tool_choice": {
                "type": "allowed_tools",
                "allowed_tools": {
                    "mode": "required",
                    "tools": [{"type": "function", "function": {"name": "b"}}],
                },
            },
        }
        async with http.post("/v1/chat/completions", json=body, headers=KEY) as reply:
            calls = (await reply.json())["choices"][0]["message"]["tool_calls"]
        called.update(c["function"]["name"] for c in calls)
    assert called == {"b"}


async def test_prompt_cache_is_per_session_and_model(http: aiohttp.ClientSession) -> None:
    system = [{"type": "text", "text": "policy " * 1500, "cache_control": {"type": "ephemeral"}}]

    async def usage(session: str, model: str) -> dict[str, Any]:
        body = {"model": model, "max_tokens": 20, "system": system, "messages": HELLO}
        async with http.post(f"/session/{session}/v1/messages", json=body, headers=ANTHROPIC) as r:
            result: dict[str, Any] = (await r.json())["usage"]
            return result

    assert (await usage("cache-a", "claude-haiku-4-5"))["cache_creation_input_tokens"] > 0
    assert (await usage("cache-a", "claude-haiku-4-5"))["cache_read_input_tokens"] > 0
    assert (await usage("cache-b", "claude-haiku-4-5"))["cache_read_input_tokens"] == 0
    assert (await usage("cache-a", "claude-opus-4-5"))["cache_read_input_tokens"] == 0


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/s/nope/v1/models", KEY),
        ("GET", "/s/nope/v1/models/gpt-4o", KEY),
        ("GET", "/s/nope/v1/models", ANTHROPIC),
        ("POST", "/s/nope/v1/messages/count_tokens", ANTHROPIC),
    ],
)
async def test_unknown_scenario_prefix_is_404_everywhere(
    http: aiohttp.ClientSession, method: str, path: str, headers: dict[str, str]
) -> None:
    body = {"model": "claude-haiku-4-5", "messages": HELLO}
    async with http.request(method, path, json=body, headers=headers) as reply:
        assert reply.status == 404
        assert "no scenario named 'nope'" in json.dumps(await reply.json())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"scenario: a\x00\nrules: []\n", "invalid YAML", id="nul-byte"),
        pytest.param(b"scenario: b\nx: " + b"9" * 5000 + b"\n", "cannot load", id="huge-int"),
        pytest.param(
            b"scenario: c\nrules: &r [{reply: {text: hi}, when: {all: *r}}]\n",
            "refers to itself",
            id="recursive-alias",
        ),
        pytest.param(
            (
                "scenario: d\na0: &a0 [x,x,x,x,x,x,x,x,x,x]\n"
                + "".join(
                    f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 7)
                )
                + "rules: []\n"
            ).encode(),
            "expands to more than",
            id="billion-laughs",
        ),
    ],
)
def test_hostile_scenario_files_are_problems_not_crashes(
    tmp_path: Path, content: bytes, message: str
) -> None:
    file = tmp_path / "hostile.yaml"
    file.write_bytes(content)
    started = time.perf_counter()
    with pytest.raises(ScenarioLoadError) as caught:
        load_scenarios([file])
    assert time.perf_counter() - started < 10
    assert message in str(caught.value)
