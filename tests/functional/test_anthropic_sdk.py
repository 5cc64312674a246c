"""The Anthropic Messages endpoint as the official ``anthropic`` SDK (2.x) sees it.

The 2.x SDK authenticates with ``Authorization: Bearer`` and sends
``anthropic-version: 2026-10-21``; the x-api-key / 2023-06-01 path is covered by
``test_anthropic_http.py``.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest
from anthropic.types import (
    InputJSONDelta,
    Message,
    MessageParam,
    RawContentBlockDeltaEvent,
    RawContentBlockStartEvent,
    RawContentBlockStopEvent,
    RawMessageDeltaEvent,
    RawMessageStartEvent,
    RawMessageStreamEvent,
    TextBlock,
    ThinkingBlock,
    ToolParam,
    ToolUseBlock,
)
from pydantic import BaseModel, ConfigDict, Field

from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig

# Not in the SDK's DEPRECATED_MODELS, so no DeprecationWarning on create.
MODEL = "claude-haiku-4-5-20251001"
HELLO: list[MessageParam] = [{"role": "user", "content": "Say hello to the test suite."}]
WEATHER_TOOL: ToolParam = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "minLength": 2},
            "unit": {"type": "string", "enum": ["c", "f"]},
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
        },
        "required": ["city", "unit", "days"],
        "additionalProperties": False,
    },
}
NOOP_TOOL: ToolParam = {"name": "noop", "input_schema": {"type": "object"}}
THINKING: dict[str, Any] = {
    "max_tokens": 2048,
    "thinking": {"type": "enabled", "budget_tokens": 1024},
}


class Weather(BaseModel):
    model_config = ConfigDict(extra="forbid")

    city: str = Field(min_length=2)
    unit: str = Field(pattern="^(c|f)$")
    days: int = Field(ge=1, le=7)


def _text(message: Message) -> str:
    return "".join(b.text for b in message.content if isinstance(b, TextBlock))


def _blocks(message: Message) -> list[dict[str, Any]]:
    # The stream helper returns Parsed*Block subclasses; compare what is on the wire.
    return [b.model_dump(exclude={"parsed_output"}) for b in message.content]


def _tool_use(message: Message) -> ToolUseBlock:
    calls = [b for b in message.content if isinstance(b, ToolUseBlock)]
    assert len(calls) == 1, message.content
    return calls[0]


def _create(client: anthropic.Anthropic, **kwargs: Any) -> Message:
    args: dict[str, Any] = {"model": MODEL, "max_tokens": 256, "messages": HELLO, **kwargs}
    message = client.messages.create(**args)
    assert isinstance(message, Message)
    return message


async def _acreate(client: anthropic.AsyncAnthropic, **kwargs: Any) -> Message:
    args: dict[str, Any] = {"model": MODEL, "max_tokens": 256, "messages": HELLO, **kwargs}
    message = await client.messages.create(**args)
    assert isinstance(message, Message)
    return message


def _assert_plain(message: Message) -> None:
    assert message.type == "message"
    assert message.role == "assistant"
    assert message.id.startswith("msg_")
    assert message.model == MODEL
    assert message.stop_reason == "end_turn"
    assert message.stop_sequence is None
    assert [b.type for b in message.content] == ["text"]
    assert _text(message)
    assert message.usage.input_tokens > 0
    assert message.usage.output_tokens > 0
    assert message.usage.cache_creation_input_tokens == 0
    assert message.usage.cache_read_input_tokens == 0
    assert message._request_id is not None
    assert message._request_id.startswith("req_")


# --- create ---------------------------------------------------------------------------------


def test_create(ant: anthropic.Anthropic) -> None:
    _assert_plain(_create(ant))


async def test_async_create(aant: anthropic.AsyncAnthropic, ant: anthropic.Anthropic) -> None:
    message = await _acreate(aant)
    _assert_plain(message)
    assert _text(message) == _text(_create(ant))


def test_same_request_same_answer(ant: anthropic.Anthropic) -> None:
    first, second = _create(ant), _create(ant)
    assert first.id != second.id
    assert first._request_id != second._request_id
    assert first.content == second.content
    assert first.usage == second.usage
    other = _create(ant, messages=[{"role": "user", "content": "Something else entirely."}])
    assert _text(other) != _text(first)
    longer = _create(ant, system="Be brief and kind.")
    assert longer.usage.input_tokens > first.usage.input_tokens


# --- tools ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tool_choice",
    [{"type": "any"}, {"type": "tool", "name": "get_weather"}],
    ids=["any", "named"],
)
def test_forced_tool_gives_schema_valid_input(
    ant: anthropic.Anthropic, tool_choice: dict[str, Any]
) -> None:
    tools = [WEATHER_TOOL] if tool_choice["type"] == "any" else [NOOP_TOOL, WEATHER_TOOL]
    message = _create(ant, tools=tools, tool_choice=tool_choice)
    assert message.stop_reason == "tool_use"
    call = _tool_use(message)
    assert call.id.startswith("toolu_")
    assert call.name == "get_weather"
    Weather.model_validate(call.input)
    assert message.usage.output_tokens > 0


async def test_async_forced_tool(aant: anthropic.AsyncAnthropic, ant: anthropic.Anthropic) -> None:
    args: dict[str, Any] = {
        "tools": [WEATHER_TOOL],
        "tool_choice": {"type": "tool", "name": "get_weather"},
    }
    message = await _acreate(aant, **args)
    assert message.stop_reason == "tool_use"
    call = _tool_use(message)
    Weather.model_validate(call.input)
    assert call.input == _tool_use(_create(ant, **args)).input


def test_auto_tool_choice_answers_in_text(ant: anthropic.Anthropic) -> None:
    message = _create(ant, tools=[WEATHER_TOOL])
    assert message.stop_reason == "end_turn"
    assert [b.type for b in message.content] == ["text"]


def _round_trip(first: Message) -> list[MessageParam]:
    call = _tool_use(first)
    return [
        *HELLO,
        {"role": "assistant", "content": first.content},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "21C, sunny"}],
        },
    ]


def test_tool_result_round_trip(ant: anthropic.Anthropic) -> None:
    first = _create(ant, tools=[WEATHER_TOOL], tool_choice={"type": "any"})
    follow_up = _create(ant, tools=[WEATHER_TOOL], messages=_round_trip(first))
    assert follow_up.stop_reason == "end_turn"
    assert _text(follow_up)
    assert follow_up.usage.input_tokens > first.usage.input_tokens


async def test_async_tool_result_round_trip(aant: anthropic.AsyncAnthropic) -> None:
    first = await _acreate(aant, tools=[WEATHER_TOOL], tool_choice={"type": "any"})
    follow_up = await _acreate(aant, tools=[WEATHER_TOOL], messages=_round_trip(first))
    assert follow_up.stop_reason == "end_turn"
    assert _text(follow_up)


# --- thinking, stop sequences, max_tokens ---------------------------------------------------


def test_thinking_block_precedes_the_same_answer(ant: anthropic.Anthropic) -> None:
    plain = _create(ant)
    message = _create(ant, **THINKING)
    assert [b.type for b in message.content] == ["thinking", "text"]
    thinking = message.content[0]
    assert isinstance(thinking, ThinkingBlock)
    assert thinking.thinking
    assert thinking.signature
    assert _text(message) == _text(plain)
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens > plain.usage.output_tokens
    assert message.usage.input_tokens == plain.usage.input_tokens


async def test_async_thinking(aant: anthropic.AsyncAnthropic, ant: anthropic.Anthropic) -> None:
    message = await _acreate(aant, **THINKING)
    assert message.content == _create(ant, **THINKING).content


def test_stop_sequence_cuts_before_it(ant: anthropic.Anthropic) -> None:
    full = _text(_create(ant))
    words = full.split()
    stop = words[len(words) // 2]
    cut = _create(ant, stop_sequences=[stop, "zzz-never"])
    assert cut.stop_reason == "stop_sequence"
    assert cut.stop_sequence == stop
    assert _text(cut) == full[: full.index(stop)]


def test_max_tokens_cuts_a_prefix(ant: anthropic.Anthropic) -> None:
    full = _create(ant)
    assert full.usage.output_tokens > 3
    cut = _create(ant, max_tokens=3)
    assert cut.stop_reason == "max_tokens"
    assert cut.stop_sequence is None
    assert cut.usage.output_tokens == 3
    text = _text(cut)
    assert text
    assert _text(full).startswith(text)
    assert len(text) < len(_text(full))


# --- streaming ------------------------------------------------------------------------------

STREAM_CASES: list[Any] = [
    pytest.param({}, id="text"),
    pytest.param({"tools": [WEATHER_TOOL], "tool_choice": {"type": "any"}}, id="tool_use"),
    pytest.param(THINKING, id="thinking"),
]


@pytest.mark.parametrize("kwargs", STREAM_CASES)
def test_stream_final_message_equals_create(
    ant: anthropic.Anthropic, kwargs: dict[str, Any]
) -> None:
    plain = _create(ant, **kwargs)
    args: dict[str, Any] = {"model": MODEL, "max_tokens": 256, "messages": HELLO, **kwargs}
    with ant.messages.stream(**args) as stream:
        final = stream.get_final_message()
    assert final.id.startswith("msg_")
    assert _blocks(final) == _blocks(plain)
    assert final.stop_reason == plain.stop_reason
    assert final.usage.input_tokens == plain.usage.input_tokens
    assert final.usage.output_tokens == plain.usage.output_tokens


async def test_async_stream(aant: anthropic.AsyncAnthropic, ant: anthropic.Anthropic) -> None:
    args: dict[str, Any] = {"tools": [WEATHER_TOOL], "tool_choice": {"type": "any"}}
    async with aant.messages.stream(model=MODEL, max_tokens=256, messages=HELLO, **args) as stream:
        final = await stream.get_final_message()
    assert _blocks(final) == _blocks(_create(ant, **args))
    async with aant.messages.stream(model=MODEL, max_tokens=256, messages=HELLO) as stream:
        texts = [text async for text in stream.text_stream]
    assert "".join(texts) == _text(_create(ant))


def _check_event_order(events: list[RawMessageStreamEvent]) -> None:
    """message_start, then each block as start/delta*/stop, then message_delta, message_stop."""
    assert isinstance(events[0], RawMessageStartEvent)
    assert events[0].message.content == []
    assert events[0].message.stop_reason is None
    assert [e.type for e in events[-2:]] == ["message_delta", "message_stop"]
    index = -1
    open_block = False
    for event in events[1:-2]:
        if isinstance(event, RawContentBlockStartEvent):
            assert not open_block
            index += 1
            assert event.index == index
            open_block = True
        elif isinstance(event, RawContentBlockDeltaEvent):
            assert open_block
            assert event.index == index
        else:
            assert isinstance(event, RawContentBlockStopEvent), event
            assert open_block
            assert event.index == index
            open_block = False
    assert not open_block
    assert index >= 0


def test_raw_stream_event_order_and_json_fragments(ant: anthropic.Anthropic) -> None:
    args: dict[str, Any] = {"tools": [WEATHER_TOOL], "tool_choice": {"type": "any"}}
    plain = _create(ant, **args)
    events = list(
        ant.messages.create(model=MODEL, max_tokens=256, messages=HELLO, stream=True, **args)
    )
    _check_event_order(events)
    start = events[1]
    assert isinstance(start, RawContentBlockStartEvent)
    assert isinstance(start.content_block, ToolUseBlock)
    assert start.content_block.input == {}
    assert start.content_block.id == _tool_use(plain).id
    fragments = [
        e.delta.partial_json
        for e in events
        if isinstance(e, RawContentBlockDeltaEvent) and isinstance(e.delta, InputJSONDelta)
    ]
    assert len(fragments) > 2
    assert json.loads("".join(fragments)) == _tool_use(plain).input
    delta = events[-2]
    assert isinstance(delta, RawMessageDeltaEvent)
    assert delta.delta.stop_reason == "tool_use"
    assert delta.usage.output_tokens == plain.usage.output_tokens


def test_raw_stream_thinking_then_text(ant: anthropic.Anthropic) -> None:
    events = list(ant.messages.create(model=MODEL, messages=HELLO, stream=True, **THINKING))
    _check_event_order(events)
    starts = [e.content_block.type for e in events if isinstance(e, RawContentBlockStartEvent)]
    assert starts == ["thinking", "text"]
    deltas = [e.delta.type for e in events if isinstance(e, RawContentBlockDeltaEvent)]
    # the signature closes the thinking block, before any text
    assert deltas.index("signature_delta") == deltas.index("text_delta") - 1


async def test_async_raw_stream(aant: anthropic.AsyncAnthropic) -> None:
    stream = await aant.messages.create(model=MODEL, max_tokens=256, messages=HELLO, stream=True)
    events = [event async for event in stream]
    _check_event_order(events)
    delta = events[-2]
    assert isinstance(delta, RawMessageDeltaEvent)
    assert delta.delta.stop_reason == "end_turn"


# --- count_tokens ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="plain"),
        pytest.param({"system": "You are terse.", "tools": [WEATHER_TOOL]}, id="system-tools"),
        pytest.param(
            {
                "system": [{"type": "text", "text": "Rules."}, {"type": "text", "text": "More."}],
                "messages": [
                    *HELLO,
                    {"role": "assistant", "content": "Hello."},
                    {"role": "user", "content": "Again?"},
                ],
            },
            id="system-blocks-history",
        ),
    ],
)
def test_count_tokens_equals_create_input_tokens(
    ant: anthropic.Anthropic, kwargs: dict[str, Any]
) -> None:
    args: dict[str, Any] = {"model": MODEL, "messages": HELLO, **kwargs}
    counted = ant.messages.count_tokens(**args)
    assert counted.input_tokens == _create(ant, **kwargs).usage.input_tokens


async def test_async_count_tokens(aant: anthropic.AsyncAnthropic) -> None:
    counted = await aant.messages.count_tokens(model=MODEL, messages=HELLO, tools=[WEATHER_TOOL])
    message = await _acreate(aant, tools=[WEATHER_TOOL])
    assert counted.input_tokens == message.usage.input_tokens


# --- prompt caching -------------------------------------------------------------------------


def test_prompt_cache_write_then_read() -> None:
    long_rules = " ".join(f"Rule {i}: answer politely and cite sources." for i in range(200))
    system: Any = [
        {"type": "text", "text": long_rules, "cache_control": {"type": "ephemeral"}},
    ]
    with (
        BackgroundServer(ServerConfig(port=0)) as fresh,
        anthropic.Anthropic(base_url=fresh.url, api_key="any", max_retries=0) as client,
    ):
        total = client.messages.count_tokens(model=MODEL, messages=HELLO, system=system)
        assert total.input_tokens > 1024
        first = _create(client, system=system)
        second = _create(client, system=system)
        uncached = _create(client, system=long_rules)
    written = first.usage.cache_creation_input_tokens
    assert written is not None
    assert written > 1024
    assert first.usage.cache_read_input_tokens == 0
    assert first.usage.cache_creation is not None
    assert first.usage.cache_creation.ephemeral_5m_input_tokens == written
    assert second.usage.cache_read_input_tokens == written
    assert second.usage.cache_creation_input_tokens == 0
    assert second.usage.input_tokens == first.usage.input_tokens
    assert second.usage.input_tokens + written == total.input_tokens
    assert uncached.usage.input_tokens == total.input_tokens
    assert uncached.usage.cache_read_input_tokens == 0
    assert _text(first) == _text(second) == _text(uncached)


def test_prompt_cache_on_tools_is_read_by_a_different_question() -> None:
    """A cached tools prefix costs the same written and read, whatever follows it."""
    properties = {
        f"field_{i}": {"type": "string", "description": f"Field number {i} of the record"}
        for i in range(100)
    }
    tool: ToolParam = {
        "name": "lookup",
        "description": "Look a record up",
        "input_schema": {"type": "object", "properties": properties},
        "cache_control": {"type": "ephemeral", "ttl": "1h"},
    }
    other: list[MessageParam] = [{"role": "user", "content": "A different, longer question?"}]
    with (
        BackgroundServer(ServerConfig(port=0)) as fresh,
        anthropic.Anthropic(base_url=fresh.url, api_key="any", max_retries=0) as client,
    ):
        first = _create(client, tools=[tool])
        with client.messages.stream(
            model=MODEL, max_tokens=256, messages=other, tools=[tool]
        ) as stream:
            second = stream.get_final_message()
        counted = client.messages.count_tokens(model=MODEL, messages=other, tools=[tool])
        no_tools = client.messages.count_tokens(model=MODEL, messages=other)
    written = first.usage.cache_creation_input_tokens
    assert written is not None
    assert written > 1024
    assert first.usage.cache_creation is not None
    assert first.usage.cache_creation.ephemeral_1h_input_tokens == written
    assert first.usage.cache_creation.ephemeral_5m_input_tokens == 0
    assert second.usage.cache_read_input_tokens == written
    assert second.usage.cache_creation_input_tokens == 0
    # what is left uncached is exactly the question, not less
    assert second.usage.input_tokens == no_tools.input_tokens
    assert second.usage.input_tokens + written == counted.input_tokens


# --- models ---------------------------------------------------------------------------------


def test_models_paging(ant: anthropic.Anthropic) -> None:
    first = ant.models.list(limit=3)
    assert len(first.data) == 3
    assert first.has_more
    assert first.first_id == first.data[0].id
    assert first.last_id == first.data[-1].id
    assert all(m.type == "model" and m.id.startswith("claude") for m in first.data)
    created = [m.created_at for m in first.data]
    assert created == sorted(created, reverse=True)
    second = ant.models.list(limit=3, after_id=first.data[-1].id)
    assert not {m.id for m in second.data} & {m.id for m in first.data}
    everything = [m.id for m in ant.models.list(limit=5)]  # auto-paging follows has_more
    assert everything[:6] == [m.id for m in [*first.data, *second.data]]
    assert len(everything) == len(set(everything))
    assert MODEL in everything
    assert "gpt-4o" not in everything
    last = ant.models.list(limit=1000)
    assert not last.has_more


def test_models_retrieve(ant: anthropic.Anthropic) -> None:
    model = ant.models.retrieve("claude-sonnet-4-20250514")
    assert model.id == "claude-sonnet-4-20250514"
    assert model.display_name == "Claude Sonnet 4"
    assert (model.created_at.year, model.created_at.month, model.created_at.day) == (2025, 5, 14)
    assert model.created_at.utcoffset() is not None
    with pytest.raises(anthropic.NotFoundError) as caught:
        ant.models.retrieve("claude-2.1")
    assert caught.value.type == "not_found_error"
    assert caught.value.api_message == "model: claude-2.1"


async def test_async_models(aant: anthropic.AsyncAnthropic) -> None:
    page = await aant.models.list(limit=2)
    assert len(page.data) == 2
    model = await aant.models.retrieve(MODEL)
    assert model.display_name == "Claude Haiku 4.5"
    with pytest.raises(anthropic.NotFoundError):
        await aant.models.retrieve("no-such-model")


# --- errors ---------------------------------------------------------------------------------


def test_wrong_key_is_authentication_error(server: BackgroundServer) -> None:
    with (
        anthropic.Anthropic(
            base_url=server.url, api_key="sk-ant-wrong-key-1234", max_retries=0
        ) as client,
        pytest.raises(anthropic.AuthenticationError) as caught,
    ):
        _create(client)
    error = caught.value
    assert error.status_code == 401
    assert error.type == "authentication_error"
    assert error.api_message == "invalid x-api-key"
    assert error.request_id is not None
    assert error.request_id.startswith("req_")
    assert "sk-ant-wrong-key-1234" not in str(error)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(
            {"extra_body": {"temperature": 3}},
            "temperature: Input should be less than or equal to 1",
            id="extra-body",
        ),
        pytest.param(
            {"thinking": {"type": "enabled", "budget_tokens": 512}, "max_tokens": 4096},
            "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
            id="bad-value",
        ),
        pytest.param(
            {"messages": [{"role": "user", "content": ""}]},
            "messages.0: all messages must have non-empty content except for the optional "
            "final assistant message",
            id="semantic",
        ),
    ],
)
def test_bad_request(ant: anthropic.Anthropic, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        _create(ant, **kwargs)
    assert caught.value.status_code == 400
    assert caught.value.type == "invalid_request_error"
    assert caught.value.api_message == message
    assert caught.value.request_id is not None


async def test_async_bad_request(aant: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        await _acreate(aant, tools=[WEATHER_TOOL, WEATHER_TOOL])
    assert caught.value.api_message == "tools: Tool names must be unique."


def test_unknown_model_is_not_found(ant: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as caught:
        _create(ant, model="claude-nonexistent-9")
    assert caught.value.type == "not_found_error"
    assert caught.value.api_message == "model: claude-nonexistent-9"
    with pytest.raises(anthropic.NotFoundError) as counted:
        ant.messages.count_tokens(model="claude-nonexistent-9", messages=HELLO)
    assert counted.value.api_message == "model: claude-nonexistent-9"


def test_unknown_field_warns_by_default_and_strict_rejects(
    ant: anthropic.Anthropic, strict_server: BackgroundServer
) -> None:
    raw = ant.messages.with_raw_response.create(
        model=MODEL, max_tokens=256, messages=HELLO, extra_body={"frobnicate": 5}
    )
    assert "frobnicate" in raw.headers["x-mockgw-warning"]
    assert raw.parse().stop_reason == "end_turn"
    clean = ant.messages.with_raw_response.create(model=MODEL, max_tokens=256, messages=HELLO)
    assert "x-mockgw-warning" not in clean.headers
    with (
        anthropic.Anthropic(base_url=strict_server.url, api_key="any", max_retries=0) as strict,
        pytest.raises(anthropic.BadRequestError) as caught,
    ):
        _create(strict, extra_body={"frobnicate": 5})
    assert caught.value.api_message == "frobnicate: Extra inputs are not permitted"


def test_response_headers(ant: anthropic.Anthropic) -> None:
    raw = ant.messages.with_raw_response.create(model=MODEL, max_tokens=256, messages=HELLO)
    assert raw.headers["request-id"] == raw.parse()._request_id
    for kind in ("requests", "tokens", "input-tokens", "output-tokens"):
        for part in ("limit", "remaining", "reset"):
            assert f"anthropic-ratelimit-{kind}-{part}" in raw.headers
