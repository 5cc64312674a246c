"""The official Node SDKs as clients: openai-node and @anthropic-ai/sdk, both directions."""

from __future__ import annotations

from mockgw.background import BackgroundServer
from tests.conftest import API_KEY
from tests.functional.node_support import run_node

CHAT = """
import OpenAI from "openai";
const client = new OpenAI({
  baseURL: process.env.BASE + "/v1", apiKey: process.env.KEY, maxRetries: 0,
});
const completion = await client.chat.completions.create({
  model: "gpt-4o", messages: [{ role: "user", content: "Hello from Node" }],
});
let streamed = "";
const stream = await client.chat.completions.create({
  model: "gpt-4o", messages: [{ role: "user", content: "Hello from Node" }], stream: true,
});
for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? "";
console.log(JSON.stringify({ text: completion.choices[0].message.content, streamed }));
"""

MESSAGES = """
import Anthropic from "@anthropic-ai/sdk";
const client = new Anthropic({ baseURL: process.env.BASE, apiKey: process.env.KEY, maxRetries: 0 });
const message = await client.messages.create({
  model: "claude-sonnet-4-5", max_tokens: 64,
  messages: [{ role: "user", content: "Hello from Node" }],
});
const final = await client.messages.stream({
  model: "claude-sonnet-4-5", max_tokens: 64,
  messages: [{ role: "user", content: "Hello from Node" }],
}).finalMessage();
console.log(JSON.stringify({ text: message.content[0].text, streamed: final.content[0].text }));
"""


def test_openai_node_reads_a_reply_and_a_stream(server: BackgroundServer) -> None:
    result = run_node(CHAT, env={"BASE": server.url, "KEY": API_KEY})
    assert result["text"]
    assert result["streamed"] == result["text"]


def test_anthropic_node_reads_a_reply_and_a_stream(server: BackgroundServer) -> None:
    result = run_node(MESSAGES, env={"BASE": server.url, "KEY": API_KEY})
    assert result["text"]
    assert result["streamed"] == result["text"]
