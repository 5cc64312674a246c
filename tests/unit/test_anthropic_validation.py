"""Anthropic request validation: schema, unknown fields, semantic rules, version header."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mockgw.errors import ApiError
from mockgw.protocols.anthropic.validate import (
    check_version_header,
    validate_count_tokens_request,
    validate_messages_request,
)
from tests.anthropic_cases import MALFORMED, VALID_BODIES, WEATHER_TOOL, MalformedCase, body

PYDANTIC_LEAKS = ("validation error for", "type=", "For further information visit", "pydantic")


def _error(call: Any, *args: Any, **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as info:
        call(*args, **kwargs)
    return info.value


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("case", MALFORMED, ids=lambda c: c.id)
def test_malformed_body_is_rejected_with_api_wording(case: MalformedCase, strict: bool) -> None:
    error = _error(validate_messages_request, copy.deepcopy(case.body), strict=strict)
    assert (error.status, error.kind) == (case.status, "invalid_request_error")
    assert error.message == case.message


def test_malformed_cases_are_distinct() -> None:
    assert len(MALFORMED) >= 35
    assert len({case.id for case in MALFORMED}) == len(MALFORMED)
    assert len({case.message for case in MALFORMED}) == len(MALFORMED)


@pytest.mark.parametrize("case", MALFORMED, ids=lambda c: c.id)
def test_no_pydantic_internals_leak(case: MalformedCase) -> None:
    message = _error(validate_messages_request, copy.deepcopy(case.body), strict=True).message
    for leak in PYDANTIC_LEAKS:
        assert leak not in message
    # our private union tags must never reach a client
    for marker in ("'=", "'~", "'#", ".=", ".~", ".#", "TypeTagger", "type()"):
        assert marker not in message


@pytest.mark.parametrize("payload", [p for _, p in VALID_BODIES], ids=[n for n, _ in VALID_BODIES])
def test_valid_body_is_accepted_strictly(payload: dict[str, Any]) -> None:
    request, unknown = validate_messages_request(copy.deepcopy(payload), strict=True)
    assert unknown == []
    assert request.model == payload["model"]
    assert len(request.messages) == len(payload["messages"])


def test_valid_bodies_cover_the_schema() -> None:
    assert len(VALID_BODIES) >= 12
    text = repr(VALID_BODIES)
    for block in (
        "'text'", "'image'", "'document'", "'search_result'", "'tool_use'", "'tool_result'",
        "'thinking'", "'redacted_thinking'", "'server_tool_use'", "'web_search_tool_result'",
        "'container_upload'", "'tool_reference'",
    ):  # fmt: skip
        assert f"'type': {block}" in text, block


def test_validation_does_not_mutate_the_body() -> None:
    payload = body(tools=[WEATHER_TOOL], extra_field=1)
    snapshot = copy.deepcopy(payload)
    validate_messages_request(payload, strict=False)
    assert payload == snapshot


# --- unknown fields -----------------------------------------------------------------------


def test_unknown_top_level_field_is_listed_when_lenient() -> None:
    _, unknown = validate_messages_request(body(response_format={"type": "json"}), strict=False)
    assert unknown == ["response_format"]


def test_unknown_top_level_field_is_rejected_when_strict() -> None:
    error = _error(validate_messages_request, body(response_format={}), strict=True)
    assert error.message == "response_format: Extra inputs are not permitted"


NESTED_UNKNOWN = [
    (
        {
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "a"}]},
                {"role": "assistant", "content": "b"},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "c"},
                        {"type": "text", "text": "d", "x": 1},
                    ],
                },
            ]
        },
        "messages.2.content.1.text.x",
    ),
    ({"tools": [{**WEATHER_TOOL, "color": "red"}]}, "tools.0.custom.color"),
    (
        {
            "system": [
                {"type": "text", "text": "s", "cache_control": {"type": "ephemeral", "scope": 1}}
            ]
        },
        "system.0.cache_control.ephemeral.scope",
    ),
    (
        {"messages": [{"role": "user", "content": "hi", "name": "bob"}]},
        "messages.0.name",
    ),
    (
        {"tools": [{"type": "web_search_20260318", "name": "web_search", "depth": 3}]},
        "tools.0.web_search_20260318.depth",
    ),
    ({"thinking": {"type": "adaptive", "effort": "high"}}, "thinking.adaptive.effort"),
    (
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "image",
                            "source": {"type": "url", "url": "https://x/y.png", "detail": "hi"},
                        }
                    ],
                }
            ]
        },
        "messages.0.content.0.image.source.url.detail",
    ),
]


@pytest.mark.parametrize(("overrides", "path"), NESTED_UNKNOWN, ids=[p for _, p in NESTED_UNKNOWN])
def test_nested_unknown_fields(overrides: dict[str, Any], path: str) -> None:
    _, unknown = validate_messages_request(body(**overrides), strict=False)
    assert unknown == [path]
    error = _error(validate_messages_request, body(**overrides), strict=True)
    assert error.message == f"{path}: Extra inputs are not permitted"


def test_json_schema_keywords_are_not_unknown_fields() -> None:
    tool = {**WEATHER_TOOL, "input_schema": {"type": "object", "$defs": {}, "anyOf": []}}
    _, unknown = validate_messages_request(body(tools=[tool]), strict=True)
    assert unknown == []


def test_all_unknown_fields_are_listed_in_body_order() -> None:
    payload = body(
        a=1, messages=[{"role": "user", "content": [{"type": "text", "text": "x", "b": 2}]}]
    )
    _, unknown = validate_messages_request(payload, strict=False)
    assert unknown == ["a", "messages.0.content.0.text.b"]


# --- count_tokens --------------------------------------------------------------------------


def _count_body(**overrides: Any) -> dict[str, Any]:
    return body(**{"max_tokens": ..., **overrides})


def test_count_tokens_accepts_a_body_without_max_tokens() -> None:
    request, unknown = validate_count_tokens_request(
        _count_body(
            system="s", tools=[WEATHER_TOOL], thinking={"type": "enabled", "budget_tokens": 9999}
        ),
        strict=True,
    )
    assert unknown == []
    assert request.tools is not None


@pytest.mark.parametrize(
    "field",
    [
        "max_tokens",
        "stream",
        "stop_sequences",
        "temperature",
        "top_k",
        "top_p",
        "metadata",
        "service_tier",
    ],
)
def test_generation_controls_are_unknown_to_count_tokens(field: str) -> None:
    value = body(
        stream=False, stop_sequences=[], temperature=1, top_k=1, top_p=1,
        metadata={}, service_tier="auto",
    )[field]  # fmt: skip
    payload = _count_body(**{field: value})
    _, unknown = validate_count_tokens_request(payload, strict=False)
    assert unknown == [field]
    error = _error(validate_count_tokens_request, payload, strict=True)
    assert error.message == f"{field}: Extra inputs are not permitted"


def test_count_tokens_applies_schema_and_semantic_rules() -> None:
    assert (
        _error(validate_count_tokens_request, _count_body(messages=[]), strict=False).message
        == "messages: at least one message is required"
    )
    assert (
        _error(
            validate_count_tokens_request,
            _count_body(tools=[WEATHER_TOOL, WEATHER_TOOL]),
            strict=False,
        ).message
        == "tools: Tool names must be unique."
    )
    forced = _count_body(
        thinking={"type": "enabled", "budget_tokens": 2000},
        tools=[WEATHER_TOOL],
        tool_choice={"type": "tool", "name": "get_weather"},
    )
    assert (
        _error(validate_count_tokens_request, forced, strict=False).message
        == "Thinking may not be enabled when tool_choice forces tool use."
    )


def test_semantic_checks_can_be_skipped_for_conformance_runs() -> None:
    payload = body(thinking={"type": "enabled", "budget_tokens": 1024}, max_tokens=1024)
    with pytest.raises(ApiError):
        validate_messages_request(payload, strict=False)
    request, _ = validate_messages_request(payload, strict=False, semantic=False)
    assert request.max_tokens == 1024


# --- semantic corner cases ---------------------------------------------------------------


def test_tool_results_may_span_consecutive_user_messages() -> None:
    messages = [
        {"role": "user", "content": "go"},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "a", "name": "get_weather", "input": {}},
                {"type": "tool_use", "id": "b", "name": "get_weather", "input": {}},
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a"}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "b", "content": "x"}]},
    ]
    validate_messages_request(body(messages=messages, tools=[WEATHER_TOOL]), strict=True)


def test_final_assistant_message_may_be_empty_or_hold_tool_use() -> None:
    for content in ("", [{"type": "tool_use", "id": "t", "name": "get_weather", "input": {}}]):
        messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": content}]
        validate_messages_request(body(messages=messages, tools=[WEATHER_TOOL]), strict=True)


def test_error_reports_the_first_problem_in_field_order() -> None:
    error = _error(validate_messages_request, {"model": 1, "messages": []}, strict=False)
    assert error.message == "model: Input should be a valid string"


# --- anthropic-version header --------------------------------------------------------------


@pytest.mark.parametrize("version", ["2023-06-01", "2023-01-01", "2026-10-21"])
def test_supported_versions_are_accepted(version: str) -> None:
    assert check_version_header(version) == version


def test_missing_version_header() -> None:
    error = _error(check_version_header, None)
    assert (error.status, error.kind) == (400, "invalid_request_error")
    assert error.message == "anthropic-version: header is required"


@pytest.mark.parametrize("value", ["2024-01-01", "2023-06-01, 2023-06-01", "", "latest"])
def test_unsupported_version_header(value: str) -> None:
    error = _error(check_version_header, value)
    assert error.status == 400
    assert error.message == f'anthropic-version: "{value}" is not a valid version'
