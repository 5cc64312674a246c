"""The popular frameworks on top of the SDKs, as clients: issue 13 makes them the judges.

pydantic-ai, openai-agents, LiteLLM and LangChain over Chat Completions and Messages (the
Responses API's clients are in test_frameworks_responses.py), each with retries off and no
network: a reply, a stream where the framework streams, a tool loop on the shipped
`weather` scenario (the framework runs the tool and sends its result back) and structured
output validated by the framework itself. The Vercel AI SDK (Node) is at the end.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import SecretStr

from mockgw.background import BackgroundServer
from tests.conftest import API_KEY
from tests.functional.frameworks_support import (
    ANSWER,
    CLAUDE,
    MODEL,
    QUESTION,
    WEATHER,
    WEATHER_SCHEMA,
    offline_litellm,
    weather_result,
)
from tests.functional.node_support import run_node

# --- pydantic-ai ----------------------------------------------------------------------------


def _pydantic_ai_chat(url: str) -> Any:
    import openai
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    client = openai.AsyncOpenAI(base_url=url + "/v1", api_key=API_KEY, max_retries=0)
    return OpenAIChatModel(MODEL, provider=OpenAIProvider(openai_client=client))


def test_pydantic_ai_chat_model_reads_a_reply(server: BackgroundServer) -> None:
    from pydantic_ai import Agent

    result = Agent(_pydantic_ai_chat(server.url)).run_sync("Hello there")
    assert isinstance(result.output, str)
    assert result.output
    assert result.usage.output_tokens


def test_pydantic_ai_runs_the_weather_tool_loop(server: BackgroundServer) -> None:
    from pydantic_ai import Agent

    agent = Agent(_pydantic_ai_chat(server.url + WEATHER))
    calls: list[str] = []

    @agent.tool_plain
    def get_weather(location: str, unit: str = "celsius") -> str:
        """The current weather in a location."""
        calls.append(location)
        return weather_result(location, unit)

    assert agent.run_sync(QUESTION).output == ANSWER
    assert calls == ["Boston, MA"]


def test_pydantic_ai_structured_output_validates(server: BackgroundServer) -> None:
    from pydantic import BaseModel
    from pydantic_ai import Agent

    class Weather(BaseModel):
        city: str
        temperature: float

    # pydantic-ai asks for its output as a forced tool call and validates the arguments.
    result = Agent(_pydantic_ai_chat(server.url), output_type=Weather).run_sync("Paris?")
    assert isinstance(result.output, Weather)


async def test_pydantic_ai_anthropic_model_streams(server: BackgroundServer) -> None:
    import anthropic
    from pydantic_ai import Agent
    from pydantic_ai.models.anthropic import AnthropicModel
    from pydantic_ai.providers.anthropic import AnthropicProvider

    client = anthropic.AsyncAnthropic(base_url=server.url, api_key=API_KEY, max_retries=0)
    agent = Agent(AnthropicModel(CLAUDE, provider=AnthropicProvider(anthropic_client=client)))
    whole = (await agent.run("Hello there")).output
    async with agent.run_stream("Hello there") as run:
        streamed = "".join([delta async for delta in run.stream_text(delta=True)])
    assert whole
    assert streamed == whole


# --- openai-agents --------------------------------------------------------------------------


@pytest.mark.slow  # importing openai-agents took 10.6 s in a loaded make test
def test_openai_agents_chat_completions_model_runs_a_tool(server: BackgroundServer) -> None:
    import openai
    from agents import Agent, OpenAIChatCompletionsModel, RunConfig, Runner, function_tool

    calls: list[str] = []

    @function_tool
    def get_weather(location: str, unit: str = "celsius") -> str:
        """The current weather in a location."""
        calls.append(location)
        return weather_result(location, unit)

    client = openai.AsyncOpenAI(base_url=server.url + WEATHER + "/v1", api_key=API_KEY)
    client = client.with_options(max_retries=0)
    agent = Agent(
        name="weather",
        instructions="Answer briefly.",
        tools=[get_weather],
        model=OpenAIChatCompletionsModel(model=MODEL, openai_client=client),
    )
    # tracing_disabled: the default exporter would post traces to OpenAI.
    result = Runner.run_sync(agent, QUESTION, run_config=RunConfig(tracing_disabled=True))
    assert result.final_output == ANSWER
    assert calls == ["Boston, MA"]


# --- LiteLLM --------------------------------------------------------------------------------


@pytest.fixture
def litellm(monkeypatch: pytest.MonkeyPatch) -> Any:
    offline_litellm(monkeypatch)
    import litellm

    return litellm


def _litellm_text(litellm: Any, *, stream: bool, **kwargs: Any) -> str:
    messages = [{"role": "user", "content": "Hello there"}]
    answer = litellm.completion(messages=messages, stream=stream, num_retries=0, **kwargs)
    if not stream:
        return str(answer.choices[0].message.content)
    return "".join(chunk.choices[0].delta.content or "" for chunk in answer)


@pytest.mark.slow  # importing LiteLLM takes about 10 s on the 2-core CI machine
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_litellm_reads_a_reply_and_its_stream(
    litellm: Any, server: BackgroundServer, provider: str
) -> None:
    if provider == "openai":
        route: dict[str, Any] = {"model": "openai/" + MODEL, "api_base": server.url + "/v1"}
    else:
        route = {"model": "anthropic/" + CLAUDE, "api_base": server.url, "max_tokens": 200}
    whole = _litellm_text(litellm, stream=False, api_key=API_KEY, **route)
    assert whole
    assert _litellm_text(litellm, stream=True, api_key=API_KEY, **route) == whole


@pytest.mark.slow  # see above
def test_litellm_anthropic_json_schema_comes_back_as_json(
    litellm: Any, server: BackgroundServer
) -> None:
    import jsonschema

    answer = litellm.completion(
        model="anthropic/" + CLAUDE,
        api_base=server.url,
        api_key=API_KEY,
        max_tokens=400,
        num_retries=0,
        messages=[{"role": "user", "content": "The weather in Paris?"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "weather", "schema": WEATHER_SCHEMA, "strict": True},
        },
    )
    jsonschema.validate(json.loads(answer.choices[0].message.content), WEATHER_SCHEMA)


# --- LangChain ------------------------------------------------------------------------------


def _langchain_chat(provider: str, url: str) -> Any:
    if provider == "openai":
        from langchain_openai import ChatOpenAI

        key = SecretStr(API_KEY)
        return ChatOpenAI(model=MODEL, base_url=url + "/v1", api_key=key, max_retries=0)
    from langchain_anthropic import ChatAnthropic

    # As a dict: the pydantic signature mypy sees wants every aliased field (timeout, stop).
    params: dict[str, Any] = {"model": CLAUDE, "base_url": url, "max_retries": 0}
    return ChatAnthropic(api_key=SecretStr(API_KEY), **params)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_langchain_invokes_and_streams(server: BackgroundServer, provider: str) -> None:
    chat = _langchain_chat(provider, server.url)
    whole = chat.invoke("Hello there").content
    assert isinstance(whole, str)
    assert whole
    assert "".join(str(chunk.content) for chunk in chat.stream("Hello there")) == whole


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_langchain_bind_tools_gets_the_tool_call(server: BackgroundServer, provider: str) -> None:
    from langchain_core.messages import HumanMessage, ToolMessage
    from langchain_core.tools import tool

    @tool
    def get_weather(location: str, unit: str = "celsius") -> str:
        """The current weather in a location."""
        return weather_result(location, unit)

    chat = _langchain_chat(provider, server.url + WEATHER).bind_tools([get_weather])
    asked = chat.invoke([HumanMessage(QUESTION)])
    assert [(call["name"], call["args"]) for call in asked.tool_calls] == [
        ("get_weather", {"location": "Boston, MA", "unit": "celsius"})
    ]
    call = asked.tool_calls[0]
    result = ToolMessage(get_weather.invoke(call["args"]), tool_call_id=call["id"])
    assert chat.invoke([HumanMessage(QUESTION), asked, result]).content == ANSWER


# --- The Vercel AI SDK (Node) ---------------------------------------------------------------

VERCEL_CHAT = """
import { generateText, generateObject, streamText, tool, stepCountIs } from "ai";
import { createOpenAI } from "@ai-sdk/openai";
import { createAnthropic } from "@ai-sdk/anthropic";
import { z } from "zod";
const base = process.env.BASE, apiKey = process.env.KEY;
const openai = createOpenAI({ baseURL: base + "/v1", apiKey });
const weather = createOpenAI({ baseURL: base + "/s/weather/v1", apiKey });
const anthropic = createAnthropic({ baseURL: base + "/v1", apiKey });
const hello = { prompt: "Hello from Node", maxRetries: 0 };
const out = {};
// openai.chat(...) is Chat Completions; openai(...) would be the Responses API.
out.chat = (await generateText({ model: openai.chat("gpt-4o"), ...hello })).text;
out.chatStreamed = await streamText({ model: openai.chat("gpt-4o"), ...hello }).text;
out.calls = [];
out.loop = (await generateText({
  model: weather.chat("gpt-4o"), prompt: "What is the weather in Boston?", maxRetries: 0,
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
  model: openai.chat("gpt-4o"), prompt: "The weather in Paris?", maxRetries: 0,
  schema: z.object({ city: z.string(), temperature: z.number() }),
})).object;
out.messages = (await generateText({ model: anthropic("claude-sonnet-4-5"), ...hello })).text;
out.messagesStreamed = await streamText({ model: anthropic("claude-sonnet-4-5"), ...hello }).text;
console.log(JSON.stringify(out));
"""


def test_vercel_ai_sdk_over_chat_completions_and_messages(server: BackgroundServer) -> None:
    out = run_node(VERCEL_CHAT, env={"BASE": server.url, "KEY": API_KEY})
    assert out["chat"]
    assert out["chatStreamed"] == out["chat"]
    assert out["loop"] == ANSWER
    assert out["calls"] == ["Boston, MA"]
    # generateObject validated it against the zod schema; the types are checked again here.
    assert isinstance(out["object"]["city"], str)
    assert isinstance(out["object"]["temperature"], float | int)
    assert out["messages"]
    assert out["messagesStreamed"] == out["messages"]
