"""The OpenAI endpoint as the official ``openai`` SDK sees it, sync and async."""

from __future__ import annotations

import json
from typing import Any, cast

import openai
import pytest
from openai.types.chat import ChatCompletionMessageFunctionToolCall
from openai.types.chat.chat_completion_message_function_tool_call import Function
from pydantic import BaseModel, Field

from mockgw.background import BackgroundServer

MODEL = "gpt-4o"
HELLO: list[Any] = [{"role": "user", "content": "Say hello to the test suite."}]
WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "minLength": 2},
                "unit": {"type": "string", "enum": ["c", "f"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
            },
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
    },
}


def _function(call: object) -> Function:
    assert isinstance(call, ChatCompletionMessageFunctionToolCall)
    return call.function


class Weather(BaseModel):
    city: str
    unit: str = Field(pattern="^(c|f)$")
    days: int = Field(ge=1, le=7)


class Forecast(BaseModel):
    summary: str
    temperature_c: float = Field(ge=-50, le=60)
    tags: list[str]
    reliable: bool


def test_plain_create(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(model=MODEL, messages=HELLO)
    choice = completion.choices[0]
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == MODEL
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.content
    assert completion.usage is not None
    assert completion.usage.prompt_tokens > 0
    assert completion.usage.completion_tokens > 0
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    assert completion._request_id is not None
    assert completion._request_id.startswith("req_")


def test_same_request_same_answer_and_usage_tracks_input(oai: openai.OpenAI) -> None:
    first = oai.chat.completions.create(model=MODEL, messages=HELLO)
    second = oai.chat.completions.create(model=MODEL, messages=HELLO)
    assert first.choices[0].message.content == second.choices[0].message.content
    longer = oai.chat.completions.create(
        model=MODEL, messages=[{"role": "system", "content": "Be brief and kind."}, *HELLO]
    )
    assert first.usage is not None
    assert longer.usage is not None
    assert longer.usage.prompt_tokens > first.usage.prompt_tokens


async def test_async_create(aoai: openai.AsyncOpenAI, oai: openai.OpenAI) -> None:
    completion = await aoai.chat.completions.create(model=MODEL, messages=HELLO)
    sync = oai.chat.completions.create(model=MODEL, messages=HELLO)
    assert completion.choices[0].message.content == sync.choices[0].message.content


def test_required_tool_choice_gives_schema_valid_arguments(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER_TOOL],
        tool_choice="required",
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert choice.message.tool_calls is not None
    (call,) = choice.message.tool_calls
    assert call.type == "function"
    assert call.id.startswith("call_")
    assert call.function.name == "get_weather"
    Weather.model_validate_json(call.function.arguments)


def test_named_tool_choice_picks_that_tool(oai: openai.OpenAI) -> None:
    other: Any = {
        "type": "function",
        "function": {"name": "noop", "parameters": {"type": "object"}},
    }
    completion = oai.chat.completions.create(
        model=MODEL,
        messages=HELLO,
        tools=[other, WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    calls = completion.choices[0].message.tool_calls
    assert calls is not None
    assert [_function(c).name for c in calls] == ["get_weather"]


def test_auto_tool_choice_answers_in_text(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(model=MODEL, messages=HELLO, tools=[WEATHER_TOOL])
    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].message.tool_calls is None


def test_tool_result_round_trip(oai: openai.OpenAI) -> None:
    first = oai.chat.completions.create(
        model=MODEL, messages=HELLO, tools=[WEATHER_TOOL], tool_choice="required"
    )
    message = first.choices[0].message
    assert message.tool_calls is not None
    call = message.tool_calls[0]
    follow_up = oai.chat.completions.create(
        model=MODEL,
        messages=[
            *HELLO,
            cast(Any, message.model_dump(exclude_none=True)),
            {"role": "tool", "tool_call_id": call.id, "content": '{"temp": 21}'},
        ],
        tools=[WEATHER_TOOL],
    )
    assert follow_up.choices[0].finish_reason == "stop"
    assert follow_up.choices[0].message.content


def test_json_schema_parse_validates_against_the_model(oai: openai.OpenAI) -> None:
    parsed = oai.chat.completions.parse(model=MODEL, messages=HELLO, response_format=Forecast)
    forecast = parsed.choices[0].message.parsed
    assert isinstance(forecast, Forecast)
    assert -50 <= forecast.temperature_c <= 60


def test_json_object_is_json(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model=MODEL, messages=HELLO, response_format={"type": "json_object"}
    )
    assert isinstance(json.loads(completion.choices[0].message.content or ""), dict)


def test_n_gives_distinct_indexed_choices(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(model=MODEL, messages=HELLO, n=2)
    assert [c.index for c in completion.choices] == [0, 1]
    texts = [c.message.content for c in completion.choices]
    assert texts[0] != texts[1]
    single = oai.chat.completions.create(model=MODEL, messages=HELLO)
    assert texts[0] == single.choices[0].message.content


def test_max_tokens_cuts_with_length(oai: openai.OpenAI) -> None:
    full = oai.chat.completions.create(model=MODEL, messages=HELLO)
    cut = oai.chat.completions.create(model=MODEL, messages=HELLO, max_completion_tokens=3)
    assert cut.choices[0].finish_reason == "length"
    assert cut.usage is not None
    assert cut.usage.completion_tokens == 3
    text = cut.choices[0].message.content or ""
    assert text
    assert (full.choices[0].message.content or "").startswith(text)
    legacy = oai.chat.completions.create(model=MODEL, messages=HELLO, max_tokens=3)
    assert legacy.choices[0].message.content == text


def test_stop_sequence_cuts_before_it(oai: openai.OpenAI) -> None:
    full = oai.chat.completions.create(model=MODEL, messages=HELLO).choices[0].message.content
    assert full is not None
    words = full.split()
    stop = words[len(words) // 2]
    cut = oai.chat.completions.create(model=MODEL, messages=HELLO, stop=[stop, "zzz-never"])
    choice = cut.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.content == full[: full.index(stop)]


def _stream_text(client: openai.OpenAI, **kwargs: Any) -> openai.types.chat.ChatCompletion:
    with client.chat.completions.stream(model=MODEL, **kwargs) as stream:
        return stream.get_final_completion()


def test_stream_text_equals_non_stream(oai: openai.OpenAI) -> None:
    plain = oai.chat.completions.create(model=MODEL, messages=HELLO)
    final = _stream_text(oai, messages=HELLO, stream_options={"include_usage": True})
    assert final.choices[0].message.content == plain.choices[0].message.content
    assert final.choices[0].finish_reason == "stop"
    assert final.usage is not None
    assert final.usage.model_dump() == plain.usage.model_dump()  # type: ignore[union-attr]


def test_stream_tool_calls_equal_non_stream(oai: openai.OpenAI) -> None:
    args: dict[str, Any] = {
        "messages": HELLO,
        "tools": [WEATHER_TOOL],
        "tool_choice": "required",
    }
    plain = oai.chat.completions.create(model=MODEL, **args)
    final = _stream_text(oai, **args)
    streamed = final.choices[0].message.tool_calls
    expected = plain.choices[0].message.tool_calls
    assert streamed is not None
    assert expected is not None
    assert final.choices[0].finish_reason == "tool_calls"
    assert [(c.id, _function(c).name, _function(c).arguments) for c in streamed] == [
        (c.id, _function(c).name, _function(c).arguments) for c in expected
    ]


def test_raw_stream_chunk_sequence(oai: openai.OpenAI) -> None:
    chunks = list(
        oai.chat.completions.create(
            model=MODEL, messages=HELLO, stream=True, stream_options={"include_usage": True}
        )
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert len({(c.id, c.created, c.model, c.system_fingerprint) for c in chunks}) == 1
    without_usage = list(oai.chat.completions.create(model=MODEL, messages=HELLO, stream=True))
    assert without_usage[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in without_usage)


async def test_async_stream(aoai: openai.AsyncOpenAI) -> None:
    async with aoai.chat.completions.stream(
        model=MODEL, messages=HELLO, stream_options={"include_usage": True}
    ) as stream:
        final = await stream.get_final_completion()
    assert final.choices[0].message.content
    assert final.usage is not None


def test_models_list_and_retrieve(oai: openai.OpenAI) -> None:
    ids = [m.id for m in oai.models.list()]
    for expected in ("claude-sonnet-4-20250514", "claude-haiku-4-5-20251001", "gpt-4o"):
        assert expected in ids
    model = oai.models.retrieve("claude-opus-4-5-20251101")
    assert model.id == "claude-opus-4-5-20251101"
    assert model.owned_by == "anthropic"


async def test_async_models(aoai: openai.AsyncOpenAI) -> None:
    page = await aoai.models.list()
    assert any(m.id == "gpt-4o-mini" for m in page.data)
    with pytest.raises(openai.NotFoundError):
        await aoai.models.retrieve("no-such-model")


def test_wrong_key_is_authentication_error(server: BackgroundServer) -> None:
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="sk-wrong-key-1234", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        client.chat.completions.create(model=MODEL, messages=HELLO)
    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key"
    assert "sk-wrong-key-1234" not in str(caught.value)
    assert caught.value.request_id is not None


def test_bad_request_names_the_param(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        oai.chat.completions.create(model=MODEL, messages=HELLO, temperature=3)
    assert caught.value.param == "temperature"
    assert caught.value.type == "invalid_request_error"


async def test_async_bad_request(aoai: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await aoai.chat.completions.create(
            model=MODEL,
            messages=cast(Any, [{"role": "user", "content": 42}]),
        )
    assert caught.value.param == "messages[0].content"


def test_unknown_model_is_not_found(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        oai.chat.completions.create(model="gpt-nonexistent", messages=HELLO)
    assert caught.value.code == "model_not_found"


def test_unknown_field_warns_by_default_and_strict_rejects(
    oai: openai.OpenAI, strict_server: BackgroundServer
) -> None:
    raw = oai.chat.completions.with_raw_response.create(
        model=MODEL, messages=HELLO, extra_body={"top_k": 5}
    )
    assert "top_k" in raw.headers["x-mockgw-warning"]
    strict = openai.OpenAI(base_url=strict_server.url + "/v1", api_key="any", max_retries=0)
    with pytest.raises(openai.BadRequestError) as caught:
        strict.chat.completions.create(model=MODEL, messages=HELLO, extra_body={"top_k": 5})
    assert "top_k" in caught.value.message


def test_response_headers(oai: openai.OpenAI) -> None:
    raw = oai.chat.completions.with_raw_response.create(model=MODEL, messages=HELLO)
    for name in (
        "x-request-id",
        "openai-processing-ms",
        "x-ratelimit-limit-requests",
        "x-ratelimit-remaining-requests",
        "x-ratelimit-reset-requests",
        "x-ratelimit-limit-tokens",
        "x-ratelimit-remaining-tokens",
        "x-ratelimit-reset-tokens",
    ):
        assert name in raw.headers, name
    assert "x-mockgw-warning" not in raw.headers
