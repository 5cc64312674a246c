"""Generated content: deterministic, schema-valid, and cut exactly as requested."""

from __future__ import annotations

import random
from typing import Any

import jsonschema
import pytest

from mockgw.core.chat import ChatRequest, Message, ResponseFormat, ToolChoice, ToolSpec
from mockgw.core.completions import generated_completion
from mockgw.core.generate import instance_from_schema, request_seed
from mockgw.core.tokens import count_tokens, request_tokens, split_tokens

SCHEMAS: list[dict[str, Any]] = [
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "minimum": 3, "maximum": 5},
            "x": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "flag": {"type": "boolean"},
            "nothing": {"type": "null"},
        },
        "required": ["n", "x", "flag", "nothing"],
    },
    {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 4},
            "unit": {"enum": ["c", "f"]},
            "kind": {"const": "fixed"},
            "code": {"type": "string", "minLength": 12, "maxLength": 14},
        },
        "required": ["tags", "unit", "kind", "code"],
    },
    {
        "type": "object",
        "properties": {
            "when": {"type": "string", "format": "date-time"},
            "day": {"type": "string", "format": "date"},
            "id": {"type": "string", "format": "uuid"},
            "mail": {"type": "string", "format": "email"},
        },
        "required": ["when", "day", "id", "mail"],
    },
    {
        "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "integer"}}}},
        "type": "object",
        "properties": {
            "points": {"type": "array", "items": {"$ref": "#/$defs/Point"}},
            "maybe": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "either": {"oneOf": [{"type": "integer"}, {"type": "boolean"}]},
            "both": {
                "allOf": [
                    {"type": "object", "properties": {"a": {"type": "string"}}},
                    {"properties": {"b": {"type": "integer"}}, "required": ["b"]},
                ]
            },
            "nullable": {"type": ["integer", "null"]},
        },
        "required": ["points", "maybe", "either", "both", "nullable"],
    },
]


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize("seed", range(20))
def test_instances_are_schema_valid(schema: dict[str, Any], seed: int) -> None:
    jsonschema.validate(instance_from_schema(schema, random.Random(seed)), schema)


def test_instances_are_deterministic() -> None:
    schema = SCHEMAS[2]
    assert instance_from_schema(schema, random.Random(7)) == instance_from_schema(
        schema, random.Random(7)
    )


@pytest.mark.parametrize(
    "text", ["", "Hello, world!", "  two  spaces\n\nand lines", "naïve café 12345678 😀", "a" * 40]
)
def test_token_pieces_rebuild_the_text(text: str) -> None:
    assert "".join(split_tokens(text)) == text
    assert count_tokens(text) == len(split_tokens(text))


def _request(**changes: Any) -> ChatRequest:
    base: dict[str, Any] = {
        "api": "openai",
        "model": "gpt-4o",
        "messages": (Message(role="user", text="What is the weather like?"),),
    }
    return ChatRequest(**{**base, **changes})


def test_seed_ignores_sampling_limits_and_api() -> None:
    plain = _request()
    assert request_seed(plain) == request_seed(_request(max_tokens=3, stop=("x",), n=4))
    assert request_seed(plain) == request_seed(_request(api="anthropic", model="claude-x"))
    assert request_seed(plain) != request_seed(_request(system="Be terse."))


def test_max_tokens_cuts_to_a_prefix() -> None:
    full = generated_completion(_request()).choices[0]
    cut = generated_completion(_request(max_tokens=4))
    assert cut.choices[0].finish_reason == "max_tokens"
    assert cut.choices[0].text_chunks == full.text_chunks[:4]
    assert cut.usage.output_tokens == 4


def test_stop_sequence_cuts_before_it() -> None:
    full = generated_completion(_request()).choices[0].text
    stop = full.split()[2]
    choice = generated_completion(_request(stop=(stop,))).choices[0]
    assert choice.finish_reason == "stop_sequence"
    assert choice.stop_sequence == stop
    assert choice.text == full[: full.index(stop)]


def test_json_schema_reply_is_valid() -> None:
    schema = SCHEMAS[1]
    fmt = ResponseFormat("json_schema", "out", schema)
    import json

    text = generated_completion(_request(response_format=fmt)).choices[0].text
    jsonschema.validate(json.loads(text), schema)


def test_forced_tool_call_and_usage() -> None:
    tool = ToolSpec("lookup", "find things", SCHEMAS[0])
    request = _request(tools=(tool,), tool_choice=ToolChoice("required"))
    completion = generated_completion(request)
    (call,) = completion.choices[0].tool_calls
    assert call.name == "lookup"
    assert call.id.startswith("call_")
    jsonschema.validate(call.arguments, SCHEMAS[0])
    assert completion.choices[0].finish_reason == "tool_calls"
    assert completion.usage.input_tokens == request_tokens(request)
    assert completion.usage.output_tokens > 0


def test_thinking_leaves_the_answer_unchanged() -> None:
    plain = generated_completion(_request(api="anthropic")).choices[0]
    thinking = generated_completion(_request(api="anthropic", thinking_budget=1024)).choices[0]
    assert thinking.text == plain.text
    assert thinking.thinking
    assert thinking.thinking_signature
