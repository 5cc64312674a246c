"""Validation and decoding of Responses bodies, without a server: each bad body names its
``param`` and ``code`` as the API does, and each good shape decodes to the neutral turn
the Chat Completions decoder gives the same conversation."""

from __future__ import annotations

from typing import Any

import pytest

from mockgw.core.chat import Message, ToolCall, ToolResult
from mockgw.errors import ApiError
from mockgw.protocols.openai_responses.decode import to_chat_request
from mockgw.protocols.openai_responses.stored import page
from mockgw.protocols.openai_responses.validate import validate_request

MSG = {"role": "user", "content": "hi"}
CALL = {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"}
TOOL = {"type": "function", "name": "f"}


def _error(body: dict[str, Any], *, strict: bool = False) -> ApiError:
    with pytest.raises(ApiError) as caught:
        validate_request({"model": "gpt-4o", **body}, strict=strict)
    return caught.value


BAD: list[tuple[dict[str, Any], str | None, str | None]] = [
    ({"input": [5]}, "input[0]", "invalid_type"),
    ({"input": [{"type": 5}]}, "input[0].type", "invalid_type"),
    ({"input": [{"content": "x"}]}, "input[0].type", "missing_required_parameter"),
    ({"input": [{"type": "web_search_call"}]}, "input[0].type", "invalid_value"),
    (
        {"input": [{"type": "message", "content": "x"}]},
        "input[0].role",
        "missing_required_parameter",
    ),
    ({"input": [{"role": 5, "content": "x"}]}, "input[0].role", "invalid_type"),
    ({"input": [{"role": "user"}]}, "input[0].content", "missing_required_parameter"),
    ({"input": [{"role": "user", "content": 5}]}, "input[0].content", "invalid_type"),
    ({"input": [{"role": "user", "content": [5]}]}, "input[0].content[0]", "invalid_type"),
    (
        {"input": [{"role": "user", "content": [{}]}]},
        "input[0].content[0].type",
        "missing_required_parameter",
    ),
    (
        {"input": [{"role": "user", "content": [{"type": "input_text"}]}]},
        "input[0].content[0].text",
        "missing_required_parameter",
    ),
    (
        {"input": [{"role": "user", "content": [{"type": "input_text", "text": 1}]}]},
        "input[0].content[0].text",
        "invalid_type",
    ),
    (
        {"input": [{"role": "assistant", "content": [{"type": "refusal"}]}]},
        "input[0].content[0].refusal",
        "missing_required_parameter",
    ),
    (
        {"input": [{"role": "user", "content": [{"type": "input_image"}]}]},
        "input[0].content[0]",
        "invalid_value",
    ),
    (
        {"input": [{"role": "user", "content": [{"type": "input_file"}]}]},
        "input[0].content[0]",
        "invalid_value",
    ),
    (
        {"input": [{"type": "function_call", "call_id": "c"}]},
        "input[0].name",
        "missing_required_parameter",
    ),
    (
        {"input": [CALL, {"type": "function_call_output", "call_id": "c1"}]},
        "input[1].output",
        "missing_required_parameter",
    ),
    (
        {"input": [CALL, {"type": "function_call_output", "call_id": "c1", "output": 5}]},
        "input[1].output",
        "invalid_type",
    ),
    ({"input": [{"type": "reasoning"}]}, "input[0].summary", "missing_required_parameter"),
    ({"input": [{"type": "reasoning", "summary": "x"}]}, "input[0].summary", "invalid_type"),
    ({"input": [{"type": "item_reference"}]}, "input[0].id", "missing_required_parameter"),
    ({"model": 5}, "model", "invalid_type"),
    ({"store": "yes"}, "store", "invalid_type"),
    ({"instructions": 5}, "instructions", "invalid_type"),
    ({"temperature": "hot"}, "temperature", "invalid_type"),
    ({"top_p": -1}, "top_p", "decimal_below_min_value"),
    ({"truncation": "sometimes"}, "truncation", "invalid_value"),
    ({"max_output_tokens": "5"}, "max_output_tokens", "invalid_type"),
    ({"reasoning": []}, "reasoning", "invalid_type"),
    ({"reasoning": {"summary": "long"}}, "reasoning.summary", "invalid_value"),
    ({"metadata": {str(i): "v" for i in range(17)}}, "metadata", "object_above_max_properties"),
    ({"metadata": {"k": 1}}, "metadata.k", "invalid_type"),
    ({"include": "x"}, "include", "invalid_type"),
    ({"stream_options": {}}, "stream_options", None),
    ({"background": True}, "background", "mockgw_unsupported"),
    ({"tools": {}}, "tools", "invalid_type"),
    ({"tools": [{}]}, "tools[0].type", "missing_required_parameter"),
    ({"tools": [{"type": 5}]}, "tools[0].type", "invalid_type"),
    ({"tools": [{"type": "function"}]}, "tools[0].name", "missing_required_parameter"),
    ({"tools": [{**TOOL, "parameters": []}]}, "tools[0].parameters", "invalid_type"),
    ({"tools": [{**TOOL, "strict": "y"}]}, "tools[0].strict", "invalid_type"),
    ({"tool_choice": "always"}, "tool_choice", "invalid_value"),
    ({"tool_choice": 5}, "tool_choice", "invalid_type"),
    ({"tool_choice": {}}, "tool_choice.type", "missing_required_parameter"),
    (
        {"tool_choice": {"type": "allowed_tools", "mode": "auto"}},
        "tool_choice.tools",
        "missing_required_parameter",
    ),
    ({"text": 5}, "text", "invalid_type"),
    ({"text": {"verbosity": "loud"}}, "text.verbosity", "invalid_value"),
    ({"text": {"format": 5}}, "text.format", "invalid_type"),
    ({"text": {"format": {}}}, "text.format.type", "missing_required_parameter"),
    ({"text": {"format": {"type": "xml"}}}, "text.format.type", "invalid_value"),
    (
        {"text": {"format": {"type": "json_schema", "name": "n"}}},
        "text.format.schema",
        "missing_required_parameter",
    ),
    (
        {"text": {"format": {"type": "json_schema", "name": "n", "schema": {}, "strict": 1}}},
        "text.format.strict",
        "invalid_type",
    ),
]


@pytest.mark.parametrize(("body", "param", "code"), BAD)
def test_a_bad_body_names_its_param(
    body: dict[str, Any], param: str | None, code: str | None
) -> None:
    error = _error(body)
    assert error.status == 400
    assert (error.param, error.code) == (param, code)


def test_model_is_required() -> None:
    with pytest.raises(ApiError) as caught:
        validate_request({"input": "hi"}, strict=False)
    assert caught.value.message == "Missing required parameter: 'model'."


def test_strict_mode_refuses_an_unknown_field_and_lax_mode_names_it() -> None:
    assert _error({"temprature": 1}, strict=True).message == "Unknown parameter: 'temprature'."
    unknown = validate_request(
        {"model": "m", "temprature": 1, "tools": [{"type": "web_search"}]}, strict=False
    )
    assert unknown == ["temprature", "tools[0] (a 'web_search' tool, which mockgw never calls)"]


def test_json_object_finds_the_word_in_instructions_or_parts() -> None:
    fmt = {"text": {"format": {"type": "json_object"}}}
    validate_request({"model": "m", "instructions": "Answer in JSON.", **fmt}, strict=False)
    parts = [{"role": "user", "content": [{"type": "input_text", "text": "json please"}]}]
    validate_request({"model": "m", "input": parts, **fmt}, strict=False)


def test_items_decode_as_the_chat_decoder_would() -> None:
    items: list[dict[str, Any]] = [
        {"role": "developer", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "look"},
                {"type": "input_image", "image_url": "https://example.com/a.png"},
                {"type": "input_file", "file_id": "file-1"},
            ],
        },
        {"type": "reasoning", "summary": []},
        {"role": "assistant", "content": [{"type": "output_text", "text": "Calling."}]},
        {**CALL, "arguments": "[1]"},
        {"type": "function_call", "call_id": "c2", "name": "g", "arguments": "not json"},
        {"type": "function_call_output", "call_id": "c1", "output": "one"},
        {
            "type": "function_call_output",
            "call_id": "c2",
            "output": [{"type": "input_text", "text": "two"}],
        },
        {"type": "item_reference", "id": "msg_1"},
    ]
    body = {
        "model": "m",
        "instructions": "Sys.",
        "tools": [TOOL, {"type": "web_search"}],
        "tool_choice": {"type": "allowed_tools", "mode": "required", "tools": [{"name": "f"}]},
        "parallel_tool_calls": False,
        "text": {"format": {"type": "json_object"}},
        "reasoning": {"effort": "high", "summary": "auto"},
    }
    chat = to_chat_request(body, items, api="responses")
    assert chat.system == "Sys.\nBe brief."
    assert chat.messages == (
        Message("user", "look", media_parts=2),
        Message(
            "assistant",
            "Calling.",
            (ToolCall("c1", "f", {"_value": [1]}), ToolCall("c2", "g", {"_raw": "not json"})),
        ),
        Message(
            "user",
            tool_results=(ToolResult("c1", "one", name="f"), ToolResult("c2", "two", name="g")),
        ),
    )
    assert [tool.name for tool in chat.tools] == ["f"]
    assert chat.tool_choice.mode == "required"
    assert chat.tool_choice.allowed == ("f",)
    assert chat.tool_choice.parallel is False
    assert chat.response_format.kind == "json_object"
    assert chat.thinking_budget == 8192
    named = to_chat_request(
        {"model": "m", "tool_choice": {"type": "function", "name": "f"}}, [], api="r"
    )
    assert (named.tool_choice.mode, named.tool_choice.name) == ("named", "f")
    assert (
        to_chat_request({"model": "m", "tool_choice": "none"}, [], api="r").tool_choice.mode
        == "none"
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"order": "up"}, "Invalid value: 'up'. Supported values are: 'asc' and 'desc'."),
        (
            {"limit": "x"},
            "Invalid type for 'limit': expected an integer, but got a string instead.",
        ),
        (
            {"limit": "0"},
            "Invalid 'limit': integer below minimum value. Expected a value >= 1, but got 0 "
            "instead.",
        ),
        (
            {"limit": "101"},
            "Invalid 'limit': integer above maximum value. Expected a value <= 100, but got 101 "
            "instead.",
        ),
    ],
)
def test_input_item_pages_refuse_bad_queries(query: dict[str, str], message: str) -> None:
    with pytest.raises(ApiError) as caught:
        page([], query)
    assert caught.value.message == message


def test_an_unknown_after_id_gives_an_empty_page() -> None:
    listed = page([{"id": "a"}, {"id": "b"}], {"after": "zzz", "order": "asc"})
    assert listed == {
        "object": "list",
        "data": [],
        "first_id": None,
        "last_id": None,
        "has_more": False,
    }
