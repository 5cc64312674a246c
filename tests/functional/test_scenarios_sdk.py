"""Scenarios as the official ``openai`` and ``anthropic`` SDKs see them, sync and async.

Inline scenario files are written once per module to a temporary directory and
served by one server; every test picks its scenario by header or URL prefix and
works in a session of its own, so counters and states never leak between tests.
The shipped scenarios are served by the session-wide ``open_server``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
from anthropic.types import MessageParam, TextBlock, ThinkingBlock, ToolParam, ToolUseBlock
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionMessageParam,
    ChatCompletionToolParam,
)
from pydantic import BaseModel

from mockgw.background import BackgroundServer
from tests.functional.scenario_support import (
    ANTHROPIC_MODEL,
    API_KEY,
    APIS,
    OPENAI_MODEL,
    Api,
    AsyncChat,
    SyncChat,
    new_session,
    selection_headers,
    serving,
    write_scenarios,
)

INLINE = {
    "seq": """
        scenario: seq
        rules:
          - name: stay
            when: {last_user: stay}
            replies: [{text: one}, {text: two}, {text: three}]
          - name: cycle
            when: {last_user: cycle}
            sequence: cycle
            replies: [{text: a}, {text: b}]
        """,
    "times": """
        scenario: times
        rules:
          - name: first-two
            times: 2
            reply: {text: "early {{ count }}"}
          - name: later
            reply: {text: "later {{ count }}"}
        """,
    "login": """
        scenario: login
        rules:
          - name: login
            in_state: Started
            when: {last_user: {contains: login}}
            next_state: LoggedIn
            reply: {text: welcome}
          - name: anonymous
            in_state: Started
            reply: {text: anonymous}
          - name: logout
            in_state: LoggedIn
            when: {last_user: {contains: logout}}
            next_state: Started
            reply: {text: bye}
          - name: member
            in_state: LoggedIn
            reply: {text: "member {{ count }} in {{ state }}"}
        """,
    "templates": """
        scenario: templates
        rules:
          - name: tool
            when: {tool_result: present}
            reply:
              text: >-
                city={{ tool_result.city }} temp={{ tool_result.temp }}
                tool={{ tool_result.name }}
          - name: warn
            when: {last_user: warn}
            reply: {text: "[{{ header.x-absent }}]"}
          - name: everything
            reply:
              text: >-
                user={{ last_user }} model={{ model }} count={{ count }}
                team={{ header.x-team | default('none') }}
                uid={{ metadata.user_id | default('anon') }}
                missing={{ header.x-nope | default('x') }}
        """,
    "alpha": "scenario: alpha\nrules: [{name: a, reply: {text: alpha}}]\n",
    "beta": "scenario: beta\nrules: [{name: b, reply: {text: beta}}]\n",
    "gamma": "scenario: gamma\nrules: [{name: g, reply: {text: gamma}}]\n",
    "warm": """
        scenario: warm
        rules:
          - name: cold
            in_state: Started
            next_state: Warm
            reply: {text: "cold {{ count }}"}
          - name: warm
            in_state: Warm
            reply: {text: "warm {{ count }}"}
        """,
    "picky": """
        scenario: picky
        rules:
          - name: needs-o3
            when:
              model: {glob: "o3*"}
              last_user: {contains: deploy}
            reply: {text: deployed}
          - name: needs-ops
            when:
              headers: {x-team: ops}
            reply: {text: ops}
        """,
    "lenient": """
        scenario: lenient
        unmatched: generate
        rules:
          - name: only-hi
            when: {last_user: hi}
            reply: {text: hello}
        """,
    "edge": """
        scenario: edge
        rules:
          - name: body-both
            when:
              body: [{path: metadata.user_id, contains: team, regex: '-\\d+$'}]
            reply: {text: both}
          - name: echo-header
            when: {last_user: {contains: line}}
            reply:
              text: ok
              headers: {x-echo: "{{ last_user }}"}
          - name: headers-only
            reply:
              headers: {x-scripted: "yes"}
        """,
    "errors": """
        scenario: errors
        rules:
          - name: limited
            when: {last_user: limit}
            reply: {error: rate_limit}
          - name: overloaded
            when: {last_user: overload}
            reply: {error: {status: 529}}
          - name: scripted
            when: {last_user: custom}
            reply:
              text: custom
              finish_reason: length
              usage: {input_tokens: 7, output_tokens: 11}
              headers: {x-custom: "hello {{ model }}"}
        """,
}


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    directory = write_scenarios(tmp_path_factory.mktemp("scenarios"), INLINE)
    with serving(directory) as running:
        yield running


@pytest.fixture(scope="module")
def defaulted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    """The same scenarios, with ``--scenario alpha`` as the server default."""
    directory = write_scenarios(tmp_path_factory.mktemp("scenarios"), INLINE)
    with serving(directory, scenario="alpha") as running:
        yield running


def _says(chat: SyncChat, *messages: str, **extra: Any) -> list[str]:
    return [chat.say(m, **extra).text for m in messages]


async def _asays(chat: AsyncChat, *messages: str, **extra: Any) -> list[str]:
    return [(await chat.say(m, **extra)).text for m in messages]


def _error_message(error: openai.APIStatusError | anthropic.APIStatusError) -> str:
    """The provider error's ``message`` field, whichever SDK shaped ``body``."""
    body: Any = error.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    assert isinstance(body, dict), body
    message = body["message"]
    assert isinstance(message, str)
    return message


# --- the weather agent loop (shipped scenario) --------------------------------------

OPENAI_WEATHER_TOOL: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a location",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location", "unit"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}
ANTHROPIC_WEATHER_TOOL: ToolParam = {
    "name": "get_weather",
    "description": "Current weather for a location",
    "input_schema": OPENAI_WEATHER_TOOL["function"]["parameters"],
}
WEATHER_QUESTION = "What's the weather in Paris right now?"
TOOL_OUTPUT = json.dumps({"temperature": 21, "location": "Paris"})
WEATHER_ANSWER = "It is 21 degrees in Paris."


def _openai_weather_first(completion: ChatCompletion) -> list[ChatCompletionMessageParam]:
    """Check the tool call and return the messages that answer it."""
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    (call,) = choice.message.tool_calls
    assert isinstance(call, ChatCompletionMessageFunctionToolCall)
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"location": "Boston, MA", "unit": "celsius"}
    return [
        {"role": "user", "content": WEATHER_QUESTION},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": call.function.arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call.id, "content": TOOL_OUTPUT},
    ]


def _anthropic_weather_first(message: anthropic.types.Message) -> list[MessageParam]:
    assert message.stop_reason == "tool_use"
    (call,) = [b for b in message.content if isinstance(b, ToolUseBlock)]
    assert call.name == "get_weather"
    assert call.input == {"location": "Boston, MA", "unit": "celsius"}
    return [
        {"role": "user", "content": WEATHER_QUESTION},
        {"role": "assistant", "content": message.content},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call.id, "content": TOOL_OUTPUT}],
        },
    ]


def _text_of(message: anthropic.types.Message) -> str:
    return "".join(b.text for b in message.content if isinstance(b, TextBlock))


@pytest.mark.parametrize("streamed", [False, True], ids=["create", "stream"])
def test_openai_weather_agent_loop(open_server: BackgroundServer, streamed: bool) -> None:
    headers = selection_headers("weather", new_session())
    with openai.OpenAI(
        base_url=open_server.url + "/v1", api_key=API_KEY, max_retries=0, default_headers=headers
    ) as client:

        def ask(messages: list[ChatCompletionMessageParam]) -> ChatCompletion:
            tools = [OPENAI_WEATHER_TOOL]
            if not streamed:
                return client.chat.completions.create(
                    model=OPENAI_MODEL, messages=messages, tools=tools
                )
            with client.chat.completions.stream(
                model=OPENAI_MODEL, messages=messages, tools=tools
            ) as stream:
                return stream.get_final_completion()

        follow_up = _openai_weather_first(ask([{"role": "user", "content": WEATHER_QUESTION}]))
        final = ask(follow_up)
    assert final.choices[0].message.content == WEATHER_ANSWER
    assert final.choices[0].finish_reason == "stop"
    # Without the tool on offer the model makes small talk instead of calling it.
    with openai.OpenAI(
        base_url=open_server.url + "/v1", api_key=API_KEY, max_retries=0, default_headers=headers
    ) as client:
        plain = client.chat.completions.create(
            model=OPENAI_MODEL, messages=[{"role": "user", "content": WEATHER_QUESTION}]
        )
    assert plain.choices[0].message.content == "Ask me about the weather."


@pytest.mark.parametrize("streamed", [False, True], ids=["create", "stream"])
def test_anthropic_weather_agent_loop(open_server: BackgroundServer, streamed: bool) -> None:
    headers = selection_headers("weather", new_session())
    with anthropic.Anthropic(
        base_url=open_server.url, api_key=API_KEY, max_retries=0, default_headers=headers
    ) as client:

        def ask(messages: list[MessageParam]) -> anthropic.types.Message:
            tools = [ANTHROPIC_WEATHER_TOOL]
            if not streamed:
                return client.messages.create(
                    model=ANTHROPIC_MODEL, max_tokens=256, messages=messages, tools=tools
                )
            with client.messages.stream(
                model=ANTHROPIC_MODEL, max_tokens=256, messages=messages, tools=tools
            ) as stream:
                return stream.get_final_message()

        follow_up = _anthropic_weather_first(ask([{"role": "user", "content": WEATHER_QUESTION}]))
        final = ask(follow_up)
    assert _text_of(final) == WEATHER_ANSWER
    assert final.stop_reason == "end_turn"


async def test_async_openai_weather_agent_loop(open_server: BackgroundServer) -> None:
    headers = selection_headers("weather", new_session())
    async with openai.AsyncOpenAI(
        base_url=open_server.url + "/v1", api_key=API_KEY, max_retries=0, default_headers=headers
    ) as client:
        first = await client.chat.completions.create(
            model=OPENAI_MODEL,
            messages=[{"role": "user", "content": WEATHER_QUESTION}],
            tools=[OPENAI_WEATHER_TOOL],
        )
        async with client.chat.completions.stream(
            model=OPENAI_MODEL, messages=_openai_weather_first(first), tools=[OPENAI_WEATHER_TOOL]
        ) as stream:
            final = await stream.get_final_completion()
    assert final.choices[0].message.content == WEATHER_ANSWER


async def test_async_anthropic_weather_agent_loop(open_server: BackgroundServer) -> None:
    headers = selection_headers("weather", new_session())
    async with anthropic.AsyncAnthropic(
        base_url=open_server.url, api_key=API_KEY, max_retries=0, default_headers=headers
    ) as client:
        first = await client.messages.create(
            model=ANTHROPIC_MODEL,
            max_tokens=256,
            messages=[{"role": "user", "content": WEATHER_QUESTION}],
            tools=[ANTHROPIC_WEATHER_TOOL],
        )
        async with client.messages.stream(
            model=ANTHROPIC_MODEL,
            max_tokens=256,
            messages=_anthropic_weather_first(first),
            tools=[ANTHROPIC_WEATHER_TOOL],
        ) as stream:
            final = await stream.get_final_message()
    assert _text_of(final) == WEATHER_ANSWER


# --- sequences, times, states -------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
def test_sequence_stay_and_cycle(scripted: BackgroundServer, api: Api) -> None:
    with SyncChat(scripted, api, scenario="seq", session=new_session()) as chat:
        assert _says(chat, "stay", "stay", "cycle", "stay", "stay", "cycle", "cycle") == [
            "one",
            "two",
            "a",
            "three",
            "three",
            "b",
            "a",
        ]


@pytest.mark.parametrize("api", APIS)
async def test_async_sequence(scripted: BackgroundServer, api: Api) -> None:
    async with AsyncChat(scripted, api, scenario="seq", session=new_session()) as chat:
        assert await _asays(chat, "cycle", "cycle", "cycle", "stay") == ["a", "b", "a", "one"]


@pytest.mark.parametrize("api", APIS)
def test_times_then_falls_through(scripted: BackgroundServer, api: Api) -> None:
    with SyncChat(scripted, api, scenario="times", session=new_session()) as chat:
        answers = [chat.say("hello") for _ in range(4)]
    assert [a.text for a in answers] == ["early 1", "early 2", "later 1", "later 2"]
    assert [a.headers["x-mockgw-rule"] for a in answers] == [
        "times/first-two",
        "times/first-two",
        "times/later",
        "times/later",
    ]


@pytest.mark.parametrize("api", APIS)
def test_state_transitions(scripted: BackgroundServer, api: Api) -> None:
    with SyncChat(scripted, api, scenario="login", session=new_session()) as chat:
        assert _says(
            chat, "who am I?", "login please", "who am I?", "and now?", "logout", "hm"
        ) == [
            "anonymous",
            "welcome",
            "member 1 in LoggedIn",
            "member 2 in LoggedIn",
            "bye",
            "anonymous",
        ]


@pytest.mark.parametrize("api", APIS)
async def test_async_state_transitions(scripted: BackgroundServer, api: Api) -> None:
    async with AsyncChat(scripted, api, scenario="login", session=new_session()) as chat:
        assert await _asays(chat, "login", "x", "logout", "x") == [
            "welcome",
            "member 1 in LoggedIn",
            "bye",
            "anonymous",
        ]


# --- templating ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api", "model"), [("openai", OPENAI_MODEL), ("anthropic", ANTHROPIC_MODEL)]
)
def test_templates_read_the_request(scripted: BackgroundServer, api: Api, model: str) -> None:
    session = new_session()
    with SyncChat(
        scripted, api, scenario="templates", session=session, headers={"x-team": "blue"}
    ) as chat:
        first = chat.say("Hello there", metadata={"user_id": "u-42"})
        second = chat.say("Again")
    assert first.text == (f"user=Hello there model={model} count=1 team=blue uid=u-42 missing=x")
    assert second.text == f"user=Again model={model} count=2 team=blue uid=anon missing=x"
    # Defaults cover every missing value, so nothing is worth a warning.
    assert "x-mockgw-warning" not in first.headers
    with SyncChat(scripted, api, scenario="templates", session=session) as chat:
        assert chat.say("Hi").text == f"user=Hi model={model} count=3 team=none uid=anon missing=x"


@pytest.mark.parametrize("api", APIS)
def test_missing_template_value_is_blank_and_warned(scripted: BackgroundServer, api: Api) -> None:
    with SyncChat(scripted, api, scenario="templates", session=new_session()) as chat:
        answer = chat.say("warn")
    assert answer.text == "[]"
    assert "template value 'header.x-absent' was empty" in answer.headers["x-mockgw-warning"]


def test_openai_tool_result_template(scripted: BackgroundServer) -> None:
    headers = selection_headers("templates", new_session())
    with openai.OpenAI(
        base_url=scripted.url + "/v1", api_key=API_KEY, max_retries=0, default_headers=headers
    ) as client:
        completion = client.chat.completions.create(
            model=OPENAI_MODEL,
            messages=[
                {"role": "user", "content": "Weather in Oslo?"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "lookup", "arguments": "{}"},
                        }
                    ],
                },
                {
                    "role": "tool",
                    "tool_call_id": "call_1",
                    "content": '{"city": "Oslo", "temp": -3}',
                },
            ],
        )
    assert completion.choices[0].message.content == "city=Oslo temp=-3 tool=lookup"


async def test_async_anthropic_tool_result_template(scripted: BackgroundServer) -> None:
    headers = selection_headers("templates", new_session())
    async with anthropic.AsyncAnthropic(
        base_url=scripted.url, api_key=API_KEY, max_retries=0, default_headers=headers
    ) as client:
        message = await client.messages.create(
            model=ANTHROPIC_MODEL,
            max_tokens=256,
            messages=[
                {"role": "user", "content": "Weather in Oslo?"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {}}
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "toolu_1",
                            "content": [{"type": "text", "text": '{"city": "Oslo", "temp": -3}'}],
                        }
                    ],
                },
            ],
        )
    assert _text_of(message) == "city=Oslo temp=-3 tool=lookup"


@pytest.mark.parametrize("api", APIS)
async def test_async_templates(scripted: BackgroundServer, api: Api) -> None:
    async with AsyncChat(
        scripted, api, scenario="templates", session=new_session(), headers={"x-team": "red"}
    ) as chat:
        answer = await chat.say("async hello", metadata={"user_id": "u-7"})
    assert "user=async hello" in answer.text
    assert "count=1 team=red uid=u-7 missing=x" in answer.text


# --- choosing a scenario -------------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
def test_scenario_selection_and_precedence(defaulted: BackgroundServer, api: Api) -> None:
    with SyncChat(defaulted, api) as chat:
        assert chat.say("x").text == "alpha"  # the server's --scenario
    with SyncChat(defaulted, api, scenario="beta") as chat:
        assert chat.say("x").text == "beta"  # header beats default
    with SyncChat(defaulted, api, prefix="/s/gamma") as chat:
        assert chat.say("x").text == "gamma"  # prefix beats default
    with SyncChat(defaulted, api, scenario="beta", prefix="/s/gamma") as chat:
        answer = chat.say("x")
    assert answer.text == "gamma"  # prefix beats header
    assert answer.headers["x-mockgw-rule"] == "gamma/g"
    session = new_session()
    with SyncChat(defaulted, api, scenario="alpha", prefix=f"/session/{session}/s/beta") as chat:
        assert chat.say("x").text == "beta"


@pytest.mark.parametrize("api", APIS)
async def test_async_prefix_selection(defaulted: BackgroundServer, api: Api) -> None:
    async with AsyncChat(defaulted, api, prefix="/s/beta") as chat:
        assert (await chat.say("x")).text == "beta"


@pytest.mark.parametrize(
    ("api", "error"), [("openai", openai.NotFoundError), ("anthropic", anthropic.NotFoundError)]
)
@pytest.mark.parametrize("how", ["header", "prefix"])
def test_unknown_scenario_names_the_known_ones(
    scripted: BackgroundServer, api: Api, error: type[Exception], how: str
) -> None:
    chat = (
        SyncChat(scripted, api, scenario="bta")
        if how == "header"
        else SyncChat(scripted, api, prefix="/s/bta")
    )
    with chat, pytest.raises(error) as caught:
        chat.say("x")
    assert isinstance(caught.value, (openai.APIStatusError, anthropic.APIStatusError))
    message = _error_message(caught.value)
    assert "no scenario named 'bta'" in message
    assert "Did you mean 'beta'?" in message
    assert (
        "alpha, beta, edge, errors, gamma, lenient, login, picky, seq, templates, times, warm"
        in (message)
    )


# --- sessions -------------------------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
def test_sessions_by_header_and_prefix_are_independent(
    scripted: BackgroundServer, api: Api
) -> None:
    by_header, by_prefix = new_session(), new_session()
    one = SyncChat(scripted, api, scenario="warm", session=by_header)
    two = SyncChat(scripted, api, scenario="warm", prefix=f"/session/{by_prefix}")
    with one, two:
        interleaved = [
            ("one", one.say("x").text),
            ("two", two.say("x").text),
            ("one", one.say("x").text),
            ("one", one.say("x").text),
            ("two", two.say("x").text),
        ]
    assert interleaved == [
        ("one", "cold 1"),
        ("two", "cold 1"),
        ("one", "warm 1"),
        ("one", "warm 2"),
        ("two", "warm 1"),
    ]
    # The header and the prefix name the same sessions: a new client picks up where
    # the other left off, whichever way it names the session.
    with SyncChat(scripted, api, scenario="warm", prefix=f"/session/{by_header}") as three:
        assert three.say("x").text == "warm 3"
    with SyncChat(scripted, api, scenario="warm", session=by_prefix) as four:
        assert four.say("x").text == "warm 2"


async def test_async_sessions_across_apis_share_state(scripted: BackgroundServer) -> None:
    # A session belongs to the server, not to an API: both SDKs advance it.
    session = new_session()
    async with (
        AsyncChat(scripted, "openai", scenario="warm", session=session) as oai,
        AsyncChat(scripted, "anthropic", scenario="warm", session=session) as ant,
    ):
        assert (await oai.say("x")).text == "cold 1"
        assert (await ant.say("x")).text == "warm 1"
        assert (await oai.say("x")).text == "warm 2"


# --- unmatched requests ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("api", "error", "model"),
    [
        ("openai", openai.NotFoundError, OPENAI_MODEL),
        ("anthropic", anthropic.NotFoundError, ANTHROPIC_MODEL),
    ],
)
def test_unmatched_request_reports_the_near_miss(
    scripted: BackgroundServer, api: Api, error: type[Exception], model: str
) -> None:
    with (
        SyncChat(scripted, api, scenario="picky", session=new_session()) as chat,
        pytest.raises(error) as caught,
    ):
        chat.say("please deploy to prod")
    assert isinstance(caught.value, (openai.APIStatusError, anthropic.APIStatusError))
    assert caught.value.status_code == 404
    message = _error_message(caught.value)
    assert message.splitlines() == [
        "mockgw: no rule of scenario 'picky' matched this request.",
        "Nearest rule: 'needs-o3' (1 of 2 conditions hold):",
        f"  ✗ model matches glob 'o3*' — found '{model}'",
        "  ✓ last user message contains 'deploy'",
        "Other rules: 'needs-ops' (1 failed)",
    ]


@pytest.mark.parametrize("api", APIS)
def test_unmatched_generate_answers(scripted: BackgroundServer, api: Api) -> None:
    with SyncChat(scripted, api, scenario="lenient", session=new_session()) as chat:
        scripted_answer = chat.say("hi")
        generated = chat.say("something no rule expects")
    assert scripted_answer.text == "hello"
    assert scripted_answer.headers["x-mockgw-rule"] == "lenient/only-hi"
    assert generated.text
    assert generated.text != "hello"
    assert "x-mockgw-rule" not in generated.headers


# --- scripted errors and reply overrides ----------------------------------------------


@pytest.mark.parametrize(
    ("api", "error"), [("openai", openai.RateLimitError), ("anthropic", anthropic.RateLimitError)]
)
def test_rate_limit_error(scripted: BackgroundServer, api: Api, error: type[Exception]) -> None:
    with (
        SyncChat(scripted, api, scenario="errors", session=new_session()) as chat,
        pytest.raises(error) as caught,
    ):
        chat.say("limit")
    assert isinstance(caught.value, (openai.APIStatusError, anthropic.APIStatusError))
    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "1"
    assert caught.value.response.headers["x-mockgw-rule"] == "errors/limited"


async def test_async_rate_limit_error(scripted: BackgroundServer) -> None:
    async with AsyncChat(scripted, "anthropic", scenario="errors") as chat:
        with pytest.raises(anthropic.RateLimitError):
            await chat.say("limit")
    async with AsyncChat(scripted, "openai", scenario="errors") as chat:
        with pytest.raises(openai.RateLimitError):
            await chat.say("limit")


def test_status_529_is_overloaded(scripted: BackgroundServer) -> None:
    with (
        SyncChat(scripted, "anthropic", scenario="errors") as chat,
        pytest.raises(anthropic.OverloadedError) as caught,
    ):
        chat.say("overload")
    assert caught.value.status_code == 529
    with (
        SyncChat(scripted, "openai", scenario="errors") as chat,
        pytest.raises(openai.InternalServerError) as server_error,
    ):
        chat.say("overload")
    assert server_error.value.status_code == 529


@pytest.mark.parametrize("api", APIS)
def test_retry_after_failure_succeeds_on_the_third_attempt(
    open_server: BackgroundServer, api: Api
) -> None:
    # Default retries (2); retry-after-ms: 20 keeps the two waits short.
    with SyncChat(
        open_server, api, scenario="retry-after-failure", session=new_session(), max_retries=2
    ) as chat:
        started = time.monotonic()
        answer = chat.say("hello")
        elapsed = time.monotonic() - started
    assert answer.text == "Recovered after 1 successful call(s)."
    assert answer.headers["x-mockgw-rule"] == "retry-after-failure/recovered"
    assert elapsed < 1.5  # not twice the 1 s of retry-after


async def test_async_retry_after_failure_runs_out_of_retries(open_server: BackgroundServer) -> None:
    async with AsyncChat(
        open_server,
        "openai",
        scenario="retry-after-failure",
        session=new_session(),
        max_retries=1,
    ) as chat:
        with pytest.raises(openai.RateLimitError):
            await chat.say("hello")  # attempts 1 and 2 are both throttled
        assert (await chat.say("hello")).text == "Recovered after 1 successful call(s)."


@pytest.mark.parametrize(("api", "finish"), [("openai", "length"), ("anthropic", "max_tokens")])
def test_reply_overrides_finish_usage_and_headers(
    scripted: BackgroundServer, api: Api, finish: str
) -> None:
    model = OPENAI_MODEL if api == "openai" else ANTHROPIC_MODEL
    with SyncChat(scripted, api, scenario="errors") as chat:
        answer = chat.say("custom")
    assert answer.text == "custom"
    assert answer.finish == finish
    assert (answer.input_tokens, answer.output_tokens) == (7, 11)
    assert answer.headers["x-custom"] == f"hello {model}"
    assert answer.headers["x-mockgw-rule"] == "errors/scripted"


def test_streamed_overrides(scripted: BackgroundServer) -> None:
    headers = selection_headers("errors", None)
    with openai.OpenAI(
        base_url=scripted.url + "/v1", api_key=API_KEY, max_retries=0, default_headers=headers
    ) as client:
        # The stream helper refuses finish_reason "length" (LengthFinishReasonError),
        # so read the raw chunks.
        chunks = list(
            client.chat.completions.create(
                model=OPENAI_MODEL,
                messages=[{"role": "user", "content": "custom"}],
                stream=True,
                stream_options={"include_usage": True},
            )
        )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    usage = chunks[-1].usage
    assert text == "custom"
    assert finishes[-1] == "length"
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens) == (7, 11)
    with (
        anthropic.Anthropic(
            base_url=scripted.url, api_key=API_KEY, max_retries=0, default_headers=headers
        ) as ant,
        ant.messages.stream(
            model=ANTHROPIC_MODEL, max_tokens=256, messages=[{"role": "user", "content": "custom"}]
        ) as astream,
    ):
        message = astream.get_final_message()
    assert message.stop_reason == "max_tokens"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (7, 11)


# --- regressions -----------------------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
def test_body_path_with_contains_and_regex_needs_both(scripted: BackgroundServer, api: Api) -> None:
    # Both operators on one path once crashed the engine when the scenario was compiled.
    with SyncChat(scripted, api, scenario="edge") as chat:
        assert chat.say("x", metadata={"user_id": "team-42"}).text == "both"
        other = chat.say("x", metadata={"user_id": "team-x"})
    assert other.headers["x-mockgw-rule"] == "edge/headers-only"


@pytest.mark.parametrize("api", APIS)
def test_templated_header_with_a_newline_is_sent(scripted: BackgroundServer, api: Api) -> None:
    # A CR/LF from client text used to make the server drop the connection.
    with SyncChat(scripted, api, scenario="edge") as chat:
        answer = chat.say("first line\nsecond line")
    assert answer.text == "ok"
    assert answer.headers["x-echo"] == "first line second line"
    assert "control characters in header 'x-echo'" in answer.headers["x-mockgw-warning"]


@pytest.mark.parametrize(
    ("api", "forcing"),
    [
        ("openai", {"tools": [OPENAI_WEATHER_TOOL], "tool_choice": "required"}),
        ("anthropic", {"tools": [ANTHROPIC_WEATHER_TOOL], "tool_choice": {"type": "any"}}),
    ],
)
def test_headers_only_reply_keeps_the_generated_content(
    scripted: BackgroundServer, api: Api, forcing: dict[str, Any]
) -> None:
    # A reply scripting only headers keeps the default reply, forced tool call included.
    with SyncChat(scripted, api, scenario="edge") as chat:
        scripted_answer = chat.say("Weather in Rome?", **forcing)
    with SyncChat(scripted, api) as chat:
        default = chat.say("Weather in Rome?", **forcing)
    assert scripted_answer.headers["x-scripted"] == "yes"
    assert scripted_answer.tool_calls
    assert scripted_answer.tool_calls == default.tool_calls
    assert scripted_answer.finish == default.finish


# --- every shipped scenario -----------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
def test_shipped_default(open_server: BackgroundServer, api: Api) -> None:
    with SyncChat(open_server, api, scenario="default") as chat:
        first = chat.say("Say hello to the test suite.")
        again = chat.say("Say hello to the test suite.")
    assert first.text
    assert first.text == again.text  # generated, and deterministic
    assert "x-mockgw-rule" not in first.headers


@pytest.mark.parametrize("api", APIS)
def test_shipped_echo(open_server: BackgroundServer, api: Api) -> None:
    with SyncChat(open_server, api, prefix="/s/echo") as chat:
        answer = chat.say("Repeat me, word for word: ünïcode ✓")
    assert answer.text == "Repeat me, word for word: ünïcode ✓"
    assert answer.headers["x-mockgw-rule"] == "echo/echo"


class Forecast(BaseModel):
    summary: str
    temperature_c: float
    tags: list[str]
    reliable: bool


def test_shipped_structured_output_openai(open_server: BackgroundServer) -> None:
    headers = selection_headers("structured-output", None)
    with openai.OpenAI(
        base_url=open_server.url + "/v1", api_key=API_KEY, max_retries=0, default_headers=headers
    ) as client:
        parsed = client.chat.completions.parse(
            model=OPENAI_MODEL,
            messages=[{"role": "user", "content": "Forecast for Paris"}],
            response_format=Forecast,
        )
        plain = client.chat.completions.create(
            model=OPENAI_MODEL, messages=[{"role": "user", "content": "Anything"}]
        )
    assert isinstance(parsed.choices[0].message.parsed, Forecast)
    assert json.loads(plain.choices[0].message.content or "") == {
        "status": "ok",
        "items": [1, 2, 3],
    }


def test_shipped_structured_output_anthropic(open_server: BackgroundServer) -> None:
    headers = selection_headers("structured-output", None)
    with anthropic.Anthropic(
        base_url=open_server.url, api_key=API_KEY, max_retries=0, default_headers=headers
    ) as client:
        parsed = client.messages.parse(
            model=ANTHROPIC_MODEL,
            max_tokens=1024,
            messages=[{"role": "user", "content": "Forecast for Paris"}],
            output_format=Forecast,
        )
        plain = client.messages.create(
            model=ANTHROPIC_MODEL, max_tokens=256, messages=[{"role": "user", "content": "Any"}]
        )
    assert isinstance(parsed.parsed_output, Forecast)
    assert json.loads(_text_of(plain)) == {"status": "ok", "items": [1, 2, 3]}


def _openai_first_content_delay(client: openai.OpenAI) -> tuple[float, float, str]:
    started = time.monotonic()
    first: float | None = None
    with client.chat.completions.stream(
        model=OPENAI_MODEL, messages=[{"role": "user", "content": "Tell me a story."}]
    ) as stream:
        for event in stream:
            if event.type == "content.delta" and first is None:
                first = time.monotonic() - started
        final = stream.get_final_completion()
    assert first is not None
    return first, time.monotonic() - started, final.choices[0].message.content or ""


def _anthropic_first_content_delay(client: anthropic.Anthropic) -> tuple[float, float, str]:
    started = time.monotonic()
    first: float | None = None
    with client.messages.stream(
        model=ANTHROPIC_MODEL,
        max_tokens=1024,
        messages=[{"role": "user", "content": "Tell me a story."}],
    ) as stream:
        for event in stream:
            if event.type == "text" and first is None:
                first = time.monotonic() - started
        final = stream.get_final_message()
    assert first is not None
    return first, time.monotonic() - started, _text_of(final)


TTFT = 0.2
TOLERANCE = 0.02


def test_shipped_slow_stream(open_server: BackgroundServer) -> None:
    headers = selection_headers("slow-stream", None)
    with openai.OpenAI(
        base_url=open_server.url + "/v1", api_key=API_KEY, max_retries=0, default_headers=headers
    ) as oai:
        oai.models.list()  # warm-up: the connection is open before the clock starts
        first, total, text = _openai_first_content_delay(oai)
    assert first >= TTFT - TOLERANCE
    assert text.count(". ") >= 4  # eight generated sentences
    assert total < 3.0  # slow to start, not slow overall: no special client timeout needed
    with anthropic.Anthropic(
        base_url=open_server.url, api_key=API_KEY, max_retries=0, default_headers=headers
    ) as ant:
        ant.models.list()
        first, total, text = _anthropic_first_content_delay(ant)
    assert first >= TTFT - TOLERANCE
    assert text
    assert total < 3.0


def test_shipped_thinking(open_server: BackgroundServer) -> None:
    question = "Why is the sky blue?"
    headers = selection_headers("thinking", None)
    with anthropic.Anthropic(
        base_url=open_server.url, api_key=API_KEY, max_retries=0, default_headers=headers
    ) as ant:
        message = ant.messages.create(
            model=ANTHROPIC_MODEL,
            max_tokens=2048,
            thinking={"type": "enabled", "budget_tokens": 1024},
            messages=[{"role": "user", "content": question}],
        )
        with ant.messages.stream(
            model=ANTHROPIC_MODEL,
            max_tokens=2048,
            thinking={"type": "enabled", "budget_tokens": 1024},
            messages=[{"role": "user", "content": question}],
        ) as stream:
            streamed = stream.get_final_message()
    for answer in (message, streamed):
        assert [b.type for b in answer.content] == ["thinking", "text"]
        thinking = answer.content[0]
        assert isinstance(thinking, ThinkingBlock)
        assert thinking.thinking == (
            f"The user asked: {question}. A short, friendly answer will do."
        )
        assert thinking.signature
        assert _text_of(answer) == "Here is my considered answer."
    with SyncChat(open_server, "openai", scenario="thinking") as chat:
        assert chat.say(question).text == "Here is my considered answer."


async def test_async_shipped_echo_both_apis(open_server: BackgroundServer) -> None:
    for api in APIS:
        async with AsyncChat(open_server, api, scenario="echo") as chat:
            assert (await chat.say("async echo")).text == "async echo"
