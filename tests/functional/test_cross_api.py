"""One conversation, two APIs: the same answer and the same token counts on both.

A gateway that fronts Claude with the Chat Completions API must not change what the
model says or what it costs, so mockgw reduces both wire formats to one neutral
request and generates from that.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
import openai
import pytest
from anthropic.types import Message, MessageParam, TextBlock, ToolParam, ToolUseBlock
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionMessageParam,
    ChatCompletionToolParam,
)

# The anthropic SDK flags this id as deprecated; the warning says nothing about mockgw.
pytestmark = pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")

MODEL = "claude-sonnet-4-20250514"
MAX_TOKENS = 300
SYSTEM = "You are a terse geography assistant."
CALL_ID = "toolu_01XFDUDYJgAACzvnptvVoYEL"
WEATHER_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "minLength": 2},
        "unit": {"type": "string", "enum": ["c", "f"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
    },
    "required": ["city", "unit"],
}
OPENAI_TOOL: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": WEATHER_PARAMETERS,
    },
}
ANTHROPIC_TOOL: ToolParam = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "input_schema": WEATHER_PARAMETERS,
}
CALL_ARGUMENTS: dict[str, object] = {"city": "Paris", "unit": "c"}


def _chat_conversation() -> tuple[list[ChatCompletionMessageParam], list[MessageParam]]:
    openai_messages: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": "Paris."},
        {"role": "user", "content": "And of Italy?"},
    ]
    anthropic_messages: list[MessageParam] = [
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": "Paris."},
        {"role": "user", "content": "And of Italy?"},
    ]
    return openai_messages, anthropic_messages


def _tool_conversation() -> tuple[list[ChatCompletionMessageParam], list[MessageParam]]:
    openai_messages: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "What is the weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": CALL_ID,
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": json.dumps(CALL_ARGUMENTS)},
                }
            ],
        },
        {"role": "tool", "tool_call_id": CALL_ID, "content": "21C and sunny"},
    ]
    anthropic_messages: list[MessageParam] = [
        {"role": "user", "content": "What is the weather in Paris?"},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": CALL_ID, "name": "get_weather", "input": CALL_ARGUMENTS}
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": CALL_ID, "content": "21C and sunny"}
            ],
        },
    ]
    return openai_messages, anthropic_messages


def _requests(variant: str, max_tokens: int = MAX_TOKENS) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keyword arguments for ``chat.completions.create`` and ``messages.create``."""
    if variant == "chat":
        openai_messages, anthropic_messages = _chat_conversation()
        openai_extra: dict[str, Any] = {}
        anthropic_extra: dict[str, Any] = {}
    else:
        openai_messages, anthropic_messages = _tool_conversation()
        openai_extra = {"tools": [OPENAI_TOOL]}
        anthropic_extra = {"tools": [ANTHROPIC_TOOL]}
    openai_args = {
        "model": MODEL,
        "max_completion_tokens": max_tokens,
        "messages": openai_messages,
        **openai_extra,
    }
    anthropic_args = {
        "model": MODEL,
        "max_tokens": max_tokens,
        "system": SYSTEM,
        "messages": anthropic_messages,
        **anthropic_extra,
    }
    return openai_args, anthropic_args


def _anthropic_text(message: Message) -> str:
    return "".join(b.text for b in message.content if isinstance(b, TextBlock))


def _assert_same(completion: ChatCompletion, message: Message) -> None:
    choice = completion.choices[0]
    assert choice.message.content
    assert choice.message.content == _anthropic_text(message)
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == message.usage.input_tokens
    assert completion.usage.completion_tokens == message.usage.output_tokens
    finish = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
    assert finish[choice.finish_reason] == message.stop_reason


VARIANTS = ["chat", "tool_result"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_same_conversation_same_answer(
    oai: openai.OpenAI, ant: anthropic.Anthropic, variant: str
) -> None:
    openai_args, anthropic_args = _requests(variant)
    completion = oai.chat.completions.create(**openai_args)
    message = ant.messages.create(**anthropic_args)
    _assert_same(completion, message)
    assert message.stop_reason == "end_turn"


@pytest.mark.parametrize("variant", VARIANTS)
def test_same_cut_at_max_tokens(oai: openai.OpenAI, ant: anthropic.Anthropic, variant: str) -> None:
    openai_args, anthropic_args = _requests(variant, max_tokens=4)
    completion = oai.chat.completions.create(**openai_args)
    message = ant.messages.create(**anthropic_args)
    _assert_same(completion, message)
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 4


@pytest.mark.parametrize("variant", VARIANTS)
def test_same_answer_streamed(oai: openai.OpenAI, ant: anthropic.Anthropic, variant: str) -> None:
    openai_args, anthropic_args = _requests(variant)
    with oai.chat.completions.stream(
        **openai_args, stream_options={"include_usage": True}
    ) as openai_stream:
        completion = openai_stream.get_final_completion()
    with ant.messages.stream(**anthropic_args) as anthropic_stream:
        message = anthropic_stream.get_final_message()
    _assert_same(completion, message)
    plain = ant.messages.create(**anthropic_args)
    assert _anthropic_text(message) == _anthropic_text(plain)


async def test_same_answer_async(aoai: openai.AsyncOpenAI, aant: anthropic.AsyncAnthropic) -> None:
    openai_args, anthropic_args = _requests("tool_result")
    completion = await aoai.chat.completions.create(**openai_args)
    message = await aant.messages.create(**anthropic_args)
    _assert_same(completion, message)


def _openai_call(completion: ChatCompletion) -> tuple[str, dict[str, Any]]:
    calls = completion.choices[0].message.tool_calls
    assert calls is not None
    (call,) = calls
    assert isinstance(call, ChatCompletionMessageFunctionToolCall)
    assert call.id.startswith("call_")
    arguments = json.loads(call.function.arguments)
    assert isinstance(arguments, dict)
    return call.function.name, arguments


def _anthropic_call(message: Message) -> tuple[str, dict[str, Any]]:
    (block,) = message.content
    assert isinstance(block, ToolUseBlock)
    assert block.id.startswith("toolu_")
    assert isinstance(block.input, dict)
    return block.name, block.input


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("mode", ["named", "required"])
def test_forced_tool_same_arguments(
    oai: openai.OpenAI, ant: anthropic.Anthropic, variant: str, mode: str
) -> None:
    openai_args, anthropic_args = _requests(variant)
    openai_args["tools"] = [OPENAI_TOOL]
    anthropic_args["tools"] = [ANTHROPIC_TOOL]
    if mode == "named":
        openai_args["tool_choice"] = {"type": "function", "function": {"name": "get_weather"}}
        anthropic_args["tool_choice"] = {"type": "tool", "name": "get_weather"}
    else:
        openai_args["tool_choice"] = "required"
        anthropic_args["tool_choice"] = {"type": "any"}
    completion = oai.chat.completions.create(**openai_args)
    message = ant.messages.create(**anthropic_args)
    assert _openai_call(completion) == _anthropic_call(message)
    assert completion.choices[0].finish_reason == "tool_calls"
    assert message.stop_reason == "tool_use"
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == message.usage.input_tokens
    assert completion.usage.completion_tokens == message.usage.output_tokens

    with oai.chat.completions.stream(
        **openai_args, stream_options={"include_usage": True}
    ) as openai_stream:
        streamed_completion = openai_stream.get_final_completion()
    with ant.messages.stream(**anthropic_args) as anthropic_stream:
        streamed_message = anthropic_stream.get_final_message()
    assert _openai_call(streamed_completion) == _anthropic_call(streamed_message)
    assert _anthropic_call(streamed_message) == _anthropic_call(message)
    assert streamed_completion.usage is not None
    assert streamed_completion.usage.completion_tokens == streamed_message.usage.output_tokens


def test_count_tokens_matches_prompt_tokens(oai: openai.OpenAI, ant: anthropic.Anthropic) -> None:
    openai_args, anthropic_args = _requests("tool_result")
    del anthropic_args["max_tokens"]
    counted = ant.messages.count_tokens(**anthropic_args)
    usage = oai.chat.completions.create(**openai_args).usage
    assert usage is not None
    assert counted.input_tokens == usage.prompt_tokens


def _responses_args(variant: str, max_tokens: int = MAX_TOKENS) -> dict[str, Any]:
    """The same conversation as ``_requests`` gives, as Responses input items."""
    items: list[dict[str, Any]] = []
    if variant == "chat":
        items = [
            {"role": "user", "content": "What is the capital of France?"},
            {"role": "assistant", "content": "Paris."},
            {"role": "user", "content": "And of Italy?"},
        ]
        extra: dict[str, Any] = {}
    else:
        items = [
            {"role": "user", "content": "What is the weather in Paris?"},
            {
                "type": "function_call",
                "call_id": CALL_ID,
                "name": "get_weather",
                "arguments": json.dumps(CALL_ARGUMENTS),
            },
            {"type": "function_call_output", "call_id": CALL_ID, "output": "21C and sunny"},
        ]
        extra = {
            "tools": [
                {
                    "type": "function",
                    "name": "get_weather",
                    "description": "Current weather for a city",
                    "parameters": WEATHER_PARAMETERS,
                }
            ]
        }
    return {
        "model": MODEL,
        "instructions": SYSTEM,
        "input": items,
        "max_output_tokens": max_tokens,
        **extra,
    }


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("max_tokens", [MAX_TOKENS, 16])
def test_responses_gives_the_same_answer(oai: openai.OpenAI, variant: str, max_tokens: int) -> None:
    openai_args, _ = _requests(variant, max_tokens=max_tokens)
    completion = oai.chat.completions.create(**openai_args)
    args = _responses_args(variant, max_tokens)
    response = oai.responses.create(**args)
    with oai.responses.stream(**args) as stream:
        streamed = stream.get_final_response()
    assert completion.usage is not None
    assert response.usage is not None
    for answer in (response, streamed):
        assert answer.output_text == completion.choices[0].message.content
        assert answer.usage == response.usage
    assert response.usage.input_tokens == completion.usage.prompt_tokens
    assert response.usage.output_tokens == completion.usage.completion_tokens
    cut = completion.choices[0].finish_reason == "length"
    assert response.status == ("incomplete" if cut else "completed")
    counted = oai.responses.input_tokens.count(
        **{k: v for k, v in args.items() if k != "max_output_tokens"}
    )
    assert counted.input_tokens == completion.usage.prompt_tokens


@pytest.mark.parametrize("variant", VARIANTS)
def test_responses_forced_tool_same_arguments(oai: openai.OpenAI, variant: str) -> None:
    openai_args, _ = _requests(variant)
    openai_args["tools"] = [OPENAI_TOOL]
    openai_args["tool_choice"] = "required"
    args = _responses_args(variant)
    args["tools"] = _responses_args("tool_result")["tools"]
    args["tool_choice"] = "required"
    completion = oai.chat.completions.create(**openai_args)
    response = oai.responses.create(**args)
    (call,) = [item for item in response.output if item.type == "function_call"]
    assert (call.name, json.loads(call.arguments)) == _openai_call(completion)
