"""OpenAI's ordinary tool loop under ``--strict``: the returned message goes back as it came.

OpenAI's function-calling guide appends ``completion.choices[0].message`` to ``messages``;
the SDKs then send every key the response put there (``refusal``, ``annotations`` ...) and
the helpers' own (``parsed``, ``function.parsed_arguments``, ``tool_calls[].index``). A
strict server that rejected any of them would break the loop every client runs.
"""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from pydantic import BaseModel

from mockgw.background import BackgroundServer
from tests.functional.node_support import run_node

MODEL = "gpt-4o"
QUESTION: Any = {"role": "user", "content": "What is the weather in Paris?"}
WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}


class GetWeather(BaseModel):
    city: str


@pytest.fixture
def strict_oai(strict_server: BackgroundServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=strict_server.url + "/v1", api_key="any", max_retries=0)


def _answer(messages: list[Any], call_id: str) -> list[Any]:
    return [*messages, {"role": "tool", "tool_call_id": call_id, "content": "18 C, sunny"}]


def test_create_loop_echoes_the_message_as_returned(strict_oai: openai.OpenAI) -> None:
    first = strict_oai.chat.completions.create(
        model=MODEL, messages=[QUESTION], tools=[WEATHER_TOOL], tool_choice="required"
    )
    message = first.choices[0].message
    # What goes back: the response's own keys, ``annotations`` and ``refusal`` among them.
    assert {"annotations", "refusal"} <= set(message.to_dict())
    assert message.tool_calls
    messages = _answer([QUESTION, message], message.tool_calls[0].id)
    second = strict_oai.chat.completions.create(
        model=MODEL, messages=messages, tools=[WEATHER_TOOL]
    )
    assert second.choices[0].message.content


def test_parse_loop_echoes_parsed_and_parsed_arguments(strict_oai: openai.OpenAI) -> None:
    tools: Any = [openai.pydantic_function_tool(GetWeather)]
    first = strict_oai.chat.completions.parse(
        model=MODEL, messages=[QUESTION], tools=tools, tool_choice="required"
    )
    message = first.choices[0].message
    assert message.tool_calls
    sent: Any = message.to_dict()
    assert "parsed" in sent
    assert "parsed_arguments" in sent["tool_calls"][0]["function"]
    messages = _answer([QUESTION, message], message.tool_calls[0].id)
    second = strict_oai.chat.completions.parse(model=MODEL, messages=messages, tools=tools)
    assert second.choices[0].message.content


def test_stream_loop_echoes_the_accumulated_message(strict_oai: openai.OpenAI) -> None:
    tools: Any = [openai.pydantic_function_tool(GetWeather)]
    with strict_oai.chat.completions.stream(
        model=MODEL, messages=[QUESTION], tools=tools, tool_choice="required"
    ) as stream:
        message = stream.get_final_completion().choices[0].message
    assert message.tool_calls
    sent: Any = message.to_dict()
    assert "index" in sent["tool_calls"][0]
    messages = _answer([QUESTION, message], message.tool_calls[0].id)
    with strict_oai.chat.completions.stream(model=MODEL, messages=messages, tools=tools) as stream:
        assert stream.get_final_completion().choices[0].message.content


NODE_LOOP = """
import OpenAI from "openai";
const client = new OpenAI({
  baseURL: process.env.BASE + "/v1", apiKey: "any", maxRetries: 0,
});
const question = { role: "user", content: "What is the weather in Paris?" };
const tools = [JSON.parse(process.env.TOOL)];
const results = {};
async function loop(name, ask) {
  const message = await ask([question], "required");
  const call = message.tool_calls[0];
  const answer = { role: "tool", tool_call_id: call.id, content: "18 C, sunny" };
  const reply = await ask([question, message, answer], "auto");
  results[name] = { echoed: Object.keys(message).sort(), call: Object.keys(call).sort(),
                    text: reply.content };
}
await loop("create", async (messages, choice) => (await client.chat.completions.create(
  { model: "gpt-4o", messages, tools, tool_choice: choice })).choices[0].message);
await loop("parse", async (messages, choice) => (await client.chat.completions.parse(
  { model: "gpt-4o", messages, tools, tool_choice: choice })).choices[0].message);
await loop("stream", async (messages, choice) => (await client.chat.completions.stream(
  { model: "gpt-4o", messages, tools, tool_choice: choice }).finalChatCompletion())
  .choices[0].message);
console.log(JSON.stringify(results));
"""


def test_node_loops_echo_the_message_as_returned(strict_server: BackgroundServer) -> None:
    results = run_node(NODE_LOOP, env={"BASE": strict_server.url, "TOOL": json.dumps(WEATHER_TOOL)})
    assert set(results) == {"create", "parse", "stream"}
    for result in results.values():
        assert result["text"]
    assert {"annotations", "refusal"} <= set(results["create"]["echoed"])
    assert "parsed" in results["parse"]["echoed"]
