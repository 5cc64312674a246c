"""The frameworks' Responses API clients (needs POST /v1/responses).

pydantic-ai's `openai:` models, openai-agents' default model and the Vercel AI SDK's
`openai(...)` all speak the Responses API, not Chat Completions; so does LangChain's ChatOpenAI
with `use_responses_api=True`. Kept apart from test_frameworks.py so they can land with the
Responses endpoint.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from mockgw.background import BackgroundServer
from tests.conftest import API_KEY
from tests.functional.frameworks_support import ANSWER, MODEL, QUESTION, WEATHER, weather_result
from tests.functional.node_support import run_node


def test_pydantic_ai_openai_model_string_uses_responses(
    server: BackgroundServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydantic_ai import Agent
    from pydantic_ai.models.openai import OpenAIResponsesModel

    # 'openai:' names the Responses model; its provider reads the base URL and key from here.
    monkeypatch.setenv("OPENAI_BASE_URL", server.url + "/v1")
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    agent = Agent("openai:" + MODEL)
    assert isinstance(agent.model, OpenAIResponsesModel)
    result = agent.run_sync("Hello there")
    assert isinstance(result.output, str)
    assert result.output


def test_pydantic_ai_responses_model_runs_the_weather_tool_loop(server: BackgroundServer) -> None:
    import openai
    from pydantic_ai import Agent
    from pydantic_ai.models.openai import OpenAIResponsesModel
    from pydantic_ai.providers.openai import OpenAIProvider

    client = openai.AsyncOpenAI(base_url=server.url + WEATHER + "/v1", api_key=API_KEY)
    provider = OpenAIProvider(openai_client=client.with_options(max_retries=0))
    agent = Agent(OpenAIResponsesModel(MODEL, provider=provider))
    calls: list[str] = []

    @agent.tool_plain
    def get_weather(location: str, unit: str = "celsius") -> str:
        """The current weather in a location."""
        calls.append(location)
        return weather_result(location, unit)

    assert agent.run_sync(QUESTION).output == ANSWER
    assert calls == ["Boston, MA"]


def test_openai_agents_default_model_runs_a_tool(server: BackgroundServer) -> None:
    import openai
    from agents import Agent, RunConfig, Runner, function_tool
    from agents.models.openai_provider import OpenAIProvider

    calls: list[str] = []

    @function_tool
    def get_weather(location: str, unit: str = "celsius") -> str:
        """The current weather in a location."""
        calls.append(location)
        return weather_result(location, unit)

    client = openai.AsyncOpenAI(base_url=server.url + WEATHER + "/v1", api_key=API_KEY)
    # A model given by name goes through the provider, whose default is the Responses API.
    config = RunConfig(
        tracing_disabled=True,
        model_provider=OpenAIProvider(openai_client=client.with_options(max_retries=0)),
    )
    agent = Agent(name="weather", instructions="Answer briefly.", tools=[get_weather], model=MODEL)
    result = Runner.run_sync(agent, QUESTION, run_config=config)
    assert result.final_output == ANSWER
    assert calls == ["Boston, MA"]


def test_langchain_chat_openai_over_responses(server: BackgroundServer) -> None:
    from langchain_openai import ChatOpenAI

    params: dict[str, Any] = {"model": MODEL, "base_url": server.url + "/v1", "max_retries": 0}
    chat = ChatOpenAI(api_key=SecretStr(API_KEY), use_responses_api=True, **params)
    whole = chat.invoke("Hello there").text
    assert whole
    assert "".join(chunk.text for chunk in chat.stream("Hello there")) == whole


VERCEL_RESPONSES = """
import { generateText, generateObject, streamText, tool, stepCountIs } from "ai";
import { createOpenAI } from "@ai-sdk/openai";
import { z } from "zod";
const base = process.env.BASE, apiKey = process.env.KEY;
const openai = createOpenAI({ baseURL: base + "/v1", apiKey });
const weather = createOpenAI({ baseURL: base + "/s/weather/v1", apiKey });
const hello = { prompt: "Hello from Node", maxRetries: 0 };
const out = {};
// openai(...) is the Responses API, the AI SDK's default for OpenAI.
out.text = (await generateText({ model: openai("gpt-4o"), ...hello })).text;
out.streamed = await streamText({ model: openai("gpt-4o"), ...hello }).text;
out.calls = [];
out.loop = (await generateText({
  model: weather("gpt-4o"), prompt: "What is the weather in Boston?", maxRetries: 0,
  stopWhen: stepCountIs(3),
  tools: { get_weather: tool({
    description: "The current weather in a location",
    inputSchema: z.object({ location: z.string(), unit: z.string() }),
    execute: async ({ location, unit }) => {
      out.calls.push(location);
      return { location, temperature: 21, unit };
    },
  }) },
})).text;
out.object = (await generateObject({
  model: openai("gpt-4o"), prompt: "The weather in Paris?", maxRetries: 0,
  schema: z.object({ city: z.string(), temperature: z.number() }),
})).object;
console.log(JSON.stringify(out));
"""


def test_vercel_ai_sdk_openai_provider_default_uses_responses(server: BackgroundServer) -> None:
    out = run_node(VERCEL_RESPONSES, env={"BASE": server.url, "KEY": API_KEY})
    assert out["text"]
    assert out["streamed"] == out["text"]
    assert out["loop"] == ANSWER
    assert out["calls"] == ["Boston, MA"]
    assert isinstance(out["object"]["city"], str)
    assert isinstance(out["object"]["temperature"], float | int)
