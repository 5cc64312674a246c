"""Message threads through the official Python SDK: the tool runner at its defaults threads.

``client.beta.messages.tool_runner`` sends ``thread: {"type": "create"}`` first, then
``{"type": "continue", ...}`` with only the tool_result. Each test reads the journal to
prove the loop really went over a thread, not through the SDK's unthreaded fallback.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import pytest
from anthropic import beta_tool
from anthropic.types import ThreadAlreadyContinuedError, ThreadNotFoundError

from mockgw.gateway import GatewaySession, MockGateway
from mockgw.state.journal import Entry
from tests.functional.node_support import run_node

MODEL = "claude-haiku-4-5-20251001"
BETA = "message-threads-2026-08-12"
TOOL_LOOP = """
- name: answer
  when: {tool_result: get_weather}
  reply: {text: "It is {{ tool_result }} in Oslo."}
- name: ask
  when: {last_user: {contains: weather}}
  reply:
    tool_calls: [{name: get_weather, arguments: {city: Oslo}}]
- name: chat
  reply: {text: "Turn {{ turn }}."}
"""


@beta_tool
def get_weather(city: str) -> str:
    """Current weather for a city.

    Args:
        city: the city
    """
    return f"4C in {city}"


@pytest.fixture(scope="module")
def gateway() -> Iterator[MockGateway]:
    with MockGateway() as running:
        yield running


@pytest.fixture
def session(gateway: MockGateway) -> Iterator[GatewaySession]:
    with gateway.session(rules=TOOL_LOOP) as opened:
        yield opened


def _client(session: GatewaySession) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        base_url=session.anthropic_base_url, api_key=session.api_key, max_retries=0
    )


def _threads(entries: list[Entry]) -> list[Any]:
    return [entry.body.get("thread") for entry in entries]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_tool_runner_defaults_run_over_a_thread(session: GatewaySession, stream: bool) -> None:
    with _client(session) as client:
        runner = client.beta.messages.tool_runner(
            model=MODEL,
            max_tokens=256,
            system="You are terse.",
            tools=[get_weather],
            messages=[{"role": "user", "content": "What is the weather in Oslo?"}],
            stream=stream,
        )
        final = runner.until_done()
    assert final.stop_reason == "end_turn"
    assert "4C in Oslo" in final.content[0].text  # type: ignore[union-attr]
    entries = session.requests()
    assert [e.status for e in entries] == [200, 200]
    first, second = _threads(entries)
    assert first == {"type": "create"}
    assert second["type"] == "continue"
    # The continue carried only the tool_result; the answer came from the stored history.
    assert [m["role"] for m in entries[1].body["messages"]] == ["user"]
    assert "system" not in entries[1].body
    assert [e.rule for e in entries] == ["ask", "answer"]
    assert BETA in entries[0].headers.get("anthropic-beta", "")


def test_continuing_an_unknown_message_is_thread_not_found(session: GatewaySession) -> None:
    with _client(session) as client, pytest.raises(ThreadNotFoundError) as caught:
        client.beta.messages.create(
            model=MODEL,
            max_tokens=64,
            messages=[{"role": "user", "content": "hello"}],
            thread={"type": "continue", "previous_message_id": "msg_01nothere"},
            betas=[BETA],
        )
    assert caught.value.status_code == 404
    assert caught.value.error_code == "thread_not_found"


def test_continuing_one_message_twice_is_already_continued(session: GatewaySession) -> None:
    hello: Any = [{"role": "user", "content": "hello"}]
    with _client(session) as client:
        first = client.beta.messages.create(
            model=MODEL, max_tokens=64, messages=hello, thread={"type": "create"}, betas=[BETA]
        )
        follow: Any = {"type": "continue", "previous_message_id": first.id}
        again: Any = [{"role": "user", "content": "and again"}]
        client.beta.messages.create(
            model=MODEL, max_tokens=64, messages=again, thread=follow, betas=[BETA]
        )
        with pytest.raises(ThreadAlreadyContinuedError) as caught:
            client.beta.messages.create(
                model=MODEL, max_tokens=64, messages=again, thread=follow, betas=[BETA]
            )
    assert caught.value.status_code == 400


NODE_RUNNER = """
import Anthropic from "@anthropic-ai/sdk";
import { betaTool } from "@anthropic-ai/sdk/helpers/beta/json-schema";
const client = new Anthropic({ baseURL: process.env.BASE, apiKey: process.env.KEY, maxRetries: 0 });
const getWeather = betaTool({
  name: "get_weather", description: "Current weather for a city",
  inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  run: async ({ city }) => `4C in ${city}`,
});
const final = await client.beta.messages.toolRunner({
  model: "claude-haiku-4-5-20251001", max_tokens: 256, system: "You are terse.",
  tools: [getWeather], stream: process.env.STREAM === "1",
  messages: [{ role: "user", content: "What is the weather in Oslo?" }],
});
console.log(JSON.stringify({ stop: final.stop_reason, text: final.content[0].text }));
"""


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_node_tool_runner_defaults_run_over_a_thread(session: GatewaySession, stream: bool) -> None:
    env = {"BASE": session.anthropic_base_url, "KEY": session.api_key, "STREAM": str(int(stream))}
    result = run_node(NODE_RUNNER, env=env)
    assert result["stop"] == "end_turn"
    assert "4C in Oslo" in result["text"]
    entries = session.requests()
    first, second = _threads(entries)
    assert first == {"type": "create"}
    assert second["type"] == "continue"
    assert [m["role"] for m in entries[1].body["messages"]] == ["user"]
    assert [e.rule for e in entries] == ["ask", "answer"]
