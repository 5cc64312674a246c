"""Unit tests of the Chat Completions request validator (no server, no socket)."""

from __future__ import annotations

from typing import Any

import pytest

from mockgw.errors import ApiError
from mockgw.protocols.openai.schema import ChatCompletionRequest
from mockgw.protocols.openai.validate import validate_chat_request
from tests.openai_cases import MALFORMED, MODEL, VALID_BODIES, MalformedCase

USER = {"role": "user", "content": "hi"}


def _reject(body: dict[str, Any], *, strict: bool = True) -> ApiError:
    with pytest.raises(ApiError) as caught:
        validate_chat_request(body, strict=strict)
    return caught.value


def test_tables_are_big_and_distinct() -> None:
    assert len(MALFORMED) >= 35
    assert len(VALID_BODIES) >= 12
    assert len({case.id for case in MALFORMED}) == len(MALFORMED)
    assert len({name for name, _ in VALID_BODIES}) == len(VALID_BODIES)


@pytest.mark.parametrize("case", MALFORMED, ids=[case.id for case in MALFORMED])
@pytest.mark.parametrize("strict", [True, False])
def test_malformed_body_is_rejected_like_openai(case: MalformedCase, strict: bool) -> None:
    error = _reject(case.body, strict=strict)
    assert (error.status, error.kind) == (case.status, "invalid_request_error")
    assert error.message == case.message
    assert (error.param, error.code) == (case.param, case.code)


@pytest.mark.parametrize("case", MALFORMED, ids=[case.id for case in MALFORMED])
def test_no_pydantic_wording_leaks(case: MalformedCase) -> None:
    message = _reject(case.body).message
    for leak in ("Input should be", "validation error", "type=", "<role:", "<type:", "<json:"):
        assert leak not in message


@pytest.mark.parametrize(
    "body", [body for _, body in VALID_BODIES], ids=[name for name, _ in VALID_BODIES]
)
@pytest.mark.parametrize("strict", [True, False])
def test_valid_body_is_accepted(body: dict[str, Any], strict: bool) -> None:
    request, unknown = validate_chat_request(body, strict=strict)
    assert isinstance(request, ChatCompletionRequest)
    assert request.model == MODEL
    assert len(request.messages) == len(body["messages"])
    assert unknown == []


def test_non_strict_collects_unknown_fields_outermost_first() -> None:
    body = {
        "model": MODEL,
        "messages": [
            {**USER, "bar": 1},
            {"role": "user", "content": [{"type": "text", "text": "x", "z": 0}]},
        ],
        "foo": {"nested": True},
        "response_format": {"type": "json_schema", "json_schema": {"name": "a", "extra": 1}},
    }
    request, unknown = validate_chat_request(body, strict=False)
    assert unknown == [
        "foo",
        "messages[0].bar",
        "messages[1].content[0].z",
        "response_format.json_schema.extra",
    ]
    assert request.model_extra == {"foo": {"nested": True}}


def test_free_form_objects_are_not_reported_as_unknown() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "x-custom": 1}
    body = {
        "model": MODEL,
        "messages": [USER],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": schema}}],
        "metadata": {"anything": "goes"},
        "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": schema}},
    }
    assert validate_chat_request(body, strict=True)[1] == []


def test_strict_rejects_top_level_unknown_field() -> None:
    error = _reject({"model": MODEL, "messages": [USER], "foo": 1})
    assert error.message == "Unrecognized request argument supplied: foo"
    assert (error.param, error.code) == (None, None)


def test_strict_names_every_unknown_top_level_field() -> None:
    error = _reject({"model": MODEL, "messages": [USER], "foo": 1, "bar": 2})
    assert error.message == "Unrecognized request arguments supplied: foo, bar"


def test_strict_rejects_nested_unknown_field() -> None:
    body = {"model": MODEL, "messages": [USER], "stream": True, "stream_options": {"x": 1}}
    error = _reject(body)
    assert error.message == "Unknown parameter: 'stream_options.x'."
    assert (error.param, error.code) == ("stream_options.x", "unknown_parameter")


def test_non_strict_still_rejects_schema_errors() -> None:
    error = _reject({"model": MODEL, "messages": [USER], "foo": 1, "n": 0}, strict=False)
    assert error.param == "n"


def test_schema_alias_is_exposed_under_its_wire_name() -> None:
    body = {
        "model": MODEL,
        "messages": [USER],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "s", "schema": {"type": "object"}},
        },
    }
    request, _ = validate_chat_request(body, strict=True)
    dumped = request.model_dump(by_alias=True, exclude_none=True)
    assert dumped["response_format"]["json_schema"]["schema"] == {"type": "object"}


def test_trailing_unanswered_tool_call_is_rejected() -> None:
    call = {"id": "call_a", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    error = _reject(
        {"model": MODEL, "messages": [USER, {"role": "assistant", "tool_calls": [call]}]}
    )
    assert error.message.endswith("did not have response messages: call_a")
    assert error.param == "messages[1].role"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("data:image/png;base64,", "invalid_value"),
        ("data:image/png,AAAA", "invalid_value"),
        ("data:image/jpeg;base64,AAA", "invalid_image_format"),
    ],
)
def test_image_data_url_edge_cases(url: str, code: str) -> None:
    part = {"type": "image_url", "image_url": {"url": url}}
    error = _reject({"model": MODEL, "messages": [{"role": "user", "content": [part]}]})
    assert (error.param, error.code) == ("messages[0].content[0].image_url.url", code)


def test_function_parameters_without_type_are_accepted() -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": {"properties": {}}}}
    validate_chat_request({"model": MODEL, "messages": [USER], "tools": [tool]}, strict=True)


# A response's message and the SDK helpers' additions, as a client echoes them back.
ECHOED_ASSISTANT: dict[str, Any] = {
    "role": "assistant",
    "content": None,
    "refusal": None,
    "annotations": [
        {
            "type": "url_citation",
            "url_citation": {"start_index": 0, "end_index": 4, "title": "t", "url": "https://x"},
        }
    ],
    "audio": {"id": "audio_1", "data": "UklGRg==", "expires_at": 1, "transcript": "hi"},
    "function_call": None,
    "parsed": {"city": "Paris"},
    "tool_calls": [
        {
            "index": 0,
            "id": "call_1",
            "type": "function",
            "function": {"name": "f", "arguments": "{}", "parsed_arguments": {}},
        }
    ],
}


def test_strict_accepts_an_echoed_response_message() -> None:
    body = {
        "model": MODEL,
        "messages": [
            USER,
            ECHOED_ASSISTANT,
            {"role": "tool", "tool_call_id": "call_1", "content": "ok"},
        ],
    }
    assert validate_chat_request(body, strict=True)[1] == []


def test_a_malformed_echoed_annotation_is_a_400() -> None:
    bad = {**ECHOED_ASSISTANT, "annotations": [{"type": "url_citation", "url_citation": {}}]}
    body = {
        "model": MODEL,
        "messages": [USER, bad, {"role": "tool", "tool_call_id": "call_1", "content": "ok"}],
    }
    error = _reject(body, strict=False)
    assert error.status == 400
    assert error.param == "messages[1].annotations[0].url_citation.start_index"
