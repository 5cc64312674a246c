"""The shipped scenario library on the Responses endpoint, through the ``openai`` SDK:
each scenario behaves as it does on Chat Completions and Messages."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig
from mockgw.web.selection import SESSION_HEADER

MODEL = "gpt-4o"
WEATHER: dict[str, Any] = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}},
}
TOOLS: list[Any] = [WEATHER]  # a plain dict, as a client builds one


@pytest.fixture(scope="module")
def library_server() -> Iterator[BackgroundServer]:
    with BackgroundServer(ServerConfig(port=0)) as server:
        yield server


def _client(server: BackgroundServer, scenario: str, max_retries: int = 0) -> openai.OpenAI:
    # A session of its own, so that a scenario's counters start afresh.
    return openai.OpenAI(
        base_url=f"{server.url}/s/{scenario}/v1",
        api_key="sk-test-responses-library",
        max_retries=max_retries,
        default_headers={SESSION_HEADER: f"rl-{uuid.uuid4().hex[:10]}"},
    )


def test_weather_tool_loop(library_server: BackgroundServer) -> None:
    client = _client(library_server, "weather")
    first = client.responses.create(model=MODEL, input="What's the weather?", tools=TOOLS)
    (call,) = [item for item in first.output if item.type == "function_call"]
    assert json.loads(call.arguments) == {"location": "Boston, MA", "unit": "celsius"}
    result = json.dumps({"temperature": 21, "location": "Boston, MA"})
    second = client.responses.create(
        model=MODEL,
        previous_response_id=first.id,
        tools=TOOLS,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": result}],
    )
    assert second.output_text == "It is 21 degrees in Boston, MA."


def test_retry_then_succeed(library_server: BackgroundServer) -> None:
    with pytest.raises(openai.RateLimitError):
        _client(library_server, "retry-then-succeed").responses.create(model=MODEL, input="hi")
    retrying = _client(library_server, "retry-then-succeed", max_retries=2)
    answer = retrying.responses.create(model=MODEL, input="hi")
    assert answer.output_text == "Succeeded after being rate-limited twice."


def test_overloaded_midstream(library_server: BackgroundServer) -> None:
    client = _client(library_server, "overloaded-midstream")
    parts: list[str] = []

    def read() -> None:
        with client.responses.stream(model=MODEL, input="hi") as stream:
            for event in stream:
                if event.type == "response.output_text.delta":
                    parts.append(event.delta)

    with pytest.raises(openai.APIError, match="overloaded"):
        read()
    assert "".join(parts) == "This answer"
    with pytest.raises(openai.InternalServerError):
        client.responses.create(model=MODEL, input="hi")


def test_slow_stream(library_server: BackgroundServer) -> None:
    client = _client(library_server, "slow-stream")
    started = time.perf_counter()
    with client.responses.stream(model=MODEL, input="hi") as stream:
        first: float | None = None
        for event in stream:
            if event.type == "response.output_text.delta" and first is None:
                first = time.perf_counter() - started
        final = stream.get_final_response()
    assert first is not None
    assert first >= 0.2 - 0.05
    assert final.output_text == client.responses.create(model=MODEL, input="hi").output_text
