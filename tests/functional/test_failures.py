"""Scripted failures as the official SDKs live through them: retries, broken streams, time.

Every test works in a session of its own and reads what the SDK actually sent from the
request journal (``GET /__mockgw/requests?session=...``): attempts, their
``x-stainless-retry-count`` and the statuses they got. Exception classes are asserted
exactly (``type(error) is ...``), because which class a client must catch is the point.
"""

from __future__ import annotations

import itertools
import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import anthropic
import httpx2
import openai
import pytest

from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig
from tests.functional.scenario_support import (
    ANTHROPIC_MODEL,
    API_KEY,
    APIS,
    OPENAI_MODEL,
    Api,
    new_session,
    selection_headers,
    write_scenarios,
)

TEXT = "alpha beta gamma delta epsilon zeta eta theta"
RETRY_AFTER = 0.05
TOLERANCE = 0.01
TTFT = 0.2
# A stalled or hung request costs this much; the server lets go after MAX_WAIT.
CLIENT_TIMEOUT = 0.3
MAX_WAIT = 1.0

SCENARIO = f"""
    scenario: failures
    rules:
      - name: throttled
        when: {{last_user: throttled}}
        times: 2
        reply: {{error: rate_limit, retry_after: {RETRY_AFTER}}}
      - name: recovered
        when: {{last_user: throttled}}
        reply: {{text: recovered}}
      - name: overloaded
        when: {{last_user: overloaded}}
        reply: {{error: overloaded, retry_after: 10ms}}
      - name: no-retry
        when: {{last_user: no-retry}}
        reply: {{error: rate_limit, retry_after: 10ms, should_retry: false}}
      # Events before the break: OpenAI sends a role chunk, then one chunk per word;
      # Anthropic sends message_start, content_block_start and a ping before the words.
      - name: error-first
        when: {{last_user: error-0}}
        reply: {{text: "{TEXT}", stream: {{fail: {{after_events: 0}}}}}}
      - name: error-after-one
        when: {{last_user: error-1}}
        reply: {{text: "{TEXT}", stream: {{fail: {{after_events: 1}}}}}}
      - name: error-partial
        when: {{last_user: error-partial}}
        reply: {{text: "{TEXT}", stream: {{fail: {{after_events: 6}}}}}}
      - name: disconnect
        when: {{last_user: disconnect}}
        reply: {{text: "{TEXT}", stream: {{fail: {{after_events: 6, with: disconnect}}}}}}
      - name: reset
        when: {{last_user: reset}}
        reply: {{fault: reset}}
      - name: stall
        when: {{last_user: stall}}
        reply: {{text: "{TEXT}", stream: {{fail: {{after_events: 6, with: stall}}}}}}
      - name: truncate
        when: {{last_user: truncate}}
        reply: {{text: "{TEXT}", stream: {{fail: {{after_events: 6, with: truncate}}}}}}
      - name: no-terminator
        when: {{last_user: no-terminator}}
        reply: {{text: "{TEXT}", stream: {{fail: {{after_events: 1000, with: no_terminator}}}}}}
      - name: ends-early
        when: {{last_user: ends-early}}
        reply: {{text: "{TEXT}", stream: {{fail: {{after_events: 6, with: no_terminator}}}}}}
      - name: slow-start
        when: {{last_user: slow-start}}
        reply: {{text: "{TEXT}", stream: {{ttft: {TTFT}}}}}
      - name: error-after-time
        when: {{last_user: error-after-time}}
        reply: {{text: "{TEXT}", stream: {{ttft: 150ms, every: 10ms, fail: {{after: 150ms}}}}}}
      - name: fine
        reply: {{text: "{TEXT}"}}
    """

Mode = Literal["raw", "helper"]
MODES: tuple[Mode, ...] = ("raw", "helper")


@pytest.fixture(scope="module")
def failures_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    directory = write_scenarios(tmp_path_factory.mktemp("failures"), {"failures": SCENARIO})
    config = ServerConfig(
        port=0, scenarios_dir=Path(directory), scenario="failures", max_wait_seconds=MAX_WAIT
    )
    with BackgroundServer(config) as running:
        yield running


def journal(server: BackgroundServer, session: str) -> list[dict[str, Any]]:
    query = urllib.parse.urlencode({"session": session})
    with urllib.request.urlopen(f"{server.url}/__mockgw/requests?{query}", timeout=5) as reply:
        entries: list[dict[str, Any]] = json.load(reply)["requests"]
    return entries


def header(entry: dict[str, Any], name: str) -> str | None:
    return next((v for k, v in entry["headers"].items() if k.lower() == name), None)


def openai_client(
    server: BackgroundServer, session: str, *, max_retries: int = 0, timeout: float = 5.0
) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=server.url + "/v1",
        api_key=API_KEY,
        max_retries=max_retries,
        timeout=timeout,
        default_headers=selection_headers(None, session),
    )


def anthropic_client(
    server: BackgroundServer, session: str, *, max_retries: int = 0, timeout: float = 5.0
) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        base_url=server.url,
        api_key=API_KEY,
        max_retries=max_retries,
        timeout=timeout,
        default_headers=selection_headers(None, session),
    )


def ask(server: BackgroundServer, api: Api, text: str, **options: Any) -> str:
    """One non-streamed request with default SDK retries unless ``max_retries`` is given."""
    session = options.pop("session")
    # Unless told otherwise, the SDKs' own default (2 retries), as a client would have it.
    default = openai.DEFAULT_MAX_RETRIES if api == "openai" else anthropic.DEFAULT_MAX_RETRIES
    options.setdefault("max_retries", default)
    if api == "openai":
        with openai_client(server, session, **options) as oai:
            completion = oai.chat.completions.create(
                model=OPENAI_MODEL, messages=[{"role": "user", "content": text}]
            )
        return completion.choices[0].message.content or ""
    with anthropic_client(server, session, **options) as ant:
        message = ant.messages.create(
            model=ANTHROPIC_MODEL, max_tokens=256, messages=[{"role": "user", "content": text}]
        )
    return "".join(b.text for b in message.content if b.type == "text")


def stream_text(
    server: BackgroundServer,
    api: Api,
    text: str,
    parts: list[str],
    *,
    mode: Mode = "raw",
    timeout: float = 5.0,
) -> tuple[str, str | None]:
    """Stream a reply into ``parts`` (raw ``stream=True`` or the SDK's ``.stream()``
    helper); return the final text and finish reason the helper reports (raw: the text
    read and the finish reason of the last chunk, if any)."""
    session = new_session()
    if api == "openai":
        with openai_client(server, session, timeout=timeout) as oai:
            return _openai_stream(oai, text, parts, mode=mode)
    with anthropic_client(server, session, timeout=timeout) as ant:
        return _anthropic_stream(ant, text, parts, mode=mode)


def _openai_stream(
    oai: openai.OpenAI, text: str, parts: list[str], *, mode: Mode
) -> tuple[str, str | None]:
    messages: Any = [{"role": "user", "content": text}]
    if mode == "raw":
        finish = None
        for chunk in oai.chat.completions.create(
            model=OPENAI_MODEL, messages=messages, stream=True
        ):
            for choice in chunk.choices:
                parts.extend([choice.delta.content] if choice.delta.content else [])
                finish = choice.finish_reason or finish
        return "".join(parts), finish
    with oai.chat.completions.stream(model=OPENAI_MODEL, messages=messages) as events:
        for event in events:
            if event.type == "content.delta":
                parts.append(event.delta)
        final = events.get_final_completion().choices[0]
    return final.message.content or "", final.finish_reason


def _anthropic_stream(
    ant: anthropic.Anthropic, text: str, parts: list[str], *, mode: Mode
) -> tuple[str, str | None]:
    request: dict[str, Any] = {
        "model": ANTHROPIC_MODEL,
        "max_tokens": 256,
        "messages": [{"role": "user", "content": text}],
    }
    if mode == "raw":
        stop = None
        for event in ant.messages.create(**request, stream=True):
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                parts.append(event.delta.text)
            elif event.type == "message_delta":
                stop = event.delta.stop_reason
        return "".join(parts), stop
    with ant.messages.stream(**request) as stream:
        parts.extend(stream.text_stream)
        message = stream.get_final_message()
    text_blocks = "".join(b.text for b in message.content if b.type == "text")
    return text_blocks, message.stop_reason


# --- retries -----------------------------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
def test_rate_limited_twice_then_success_with_default_retries(
    failures_server: BackgroundServer, api: Api
) -> None:
    session = new_session()
    started = time.perf_counter()
    assert ask(failures_server, api, "throttled", session=session) == "recovered"
    elapsed = time.perf_counter() - started

    entries = journal(failures_server, session)
    assert [header(e, "x-stainless-retry-count") for e in entries] == ["0", "1", "2"]
    assert [e["status"] for e in entries] == [429, 429, 200]
    # retry-after-ms (50 ms) is honoured: each retry waits at least that long ...
    gaps = [b["time"] - a["time"] for a, b in itertools.pairwise(entries)]
    assert all(gap >= RETRY_AFTER - TOLERANCE for gap in gaps), gaps
    assert elapsed >= 2 * RETRY_AFTER - TOLERANCE
    # ... and replaces the SDKs' own backoff (0.5 s, then 1 s, less up to 25 % jitter),
    # which would make the two retries take at least 1.1 s.
    assert elapsed < 1.0


@pytest.mark.parametrize("api", APIS)
def test_without_retries_a_429_raises_rate_limit_error(
    failures_server: BackgroundServer, api: Api
) -> None:
    session = new_session()
    expected = openai.RateLimitError if api == "openai" else anthropic.RateLimitError
    with pytest.raises(expected) as caught:
        ask(failures_server, api, "throttled", session=session, max_retries=0)
    assert isinstance(caught.value, (openai.APIStatusError, anthropic.APIStatusError))
    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after-ms"] == "50"
    assert len(journal(failures_server, session)) == 1


@pytest.mark.parametrize("api", APIS)
def test_overloaded_is_retried_then_raised(failures_server: BackgroundServer, api: Api) -> None:
    session = new_session()
    error: type[Exception] = (
        openai.InternalServerError if api == "openai" else anthropic.OverloadedError
    )
    with pytest.raises(error) as caught:
        ask(failures_server, api, "overloaded", session=session)
    assert type(caught.value) is error
    status = 503 if api == "openai" else 529
    entries = journal(failures_server, session)
    assert [e["status"] for e in entries] == [status] * 3
    assert [header(e, "x-stainless-retry-count") for e in entries] == ["0", "1", "2"]


@pytest.mark.parametrize("api", APIS)
def test_should_retry_false_stops_retries(failures_server: BackgroundServer, api: Api) -> None:
    session = new_session()
    error = openai.RateLimitError if api == "openai" else anthropic.RateLimitError
    with pytest.raises(error) as caught:
        ask(failures_server, api, "no-retry", session=session, max_retries=2)
    assert isinstance(caught.value, (openai.APIStatusError, anthropic.APIStatusError))
    assert caught.value.response.headers["x-should-retry"] == "false"
    assert [e["status"] for e in journal(failures_server, session)] == [429]


# --- an error event in the stream ----------------------------------------------------------


def _assert_stream_error(api: Api, error: BaseException) -> None:
    if api == "openai":
        # Not an APIStatusError: the stream's status was 200; the class carries no status.
        assert type(error) is openai.APIError
        assert error.message == "The server is overloaded or not ready yet."
    else:
        # The status the SDK reports is the stream's 200, not the error's 529, so an
        # `except anthropic.OverloadedError` does not catch an overload mid-stream.
        assert type(error) is anthropic.APIStatusError
        assert error.status_code == 200
        assert isinstance(error.body, dict)
        assert error.body["error"] == {"type": "overloaded_error", "message": "Overloaded"}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("trigger", ["error-0", "error-1"])
def test_error_event_before_any_content(
    failures_server: BackgroundServer, api: Api, mode: Mode, trigger: str
) -> None:
    parts: list[str] = []
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the exact class is asserted
        stream_text(failures_server, api, trigger, parts, mode=mode)
    _assert_stream_error(api, caught.value)
    assert "".join(parts) == ""


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_error_event_after_partial_content(
    failures_server: BackgroundServer, api: Api, mode: Mode
) -> None:
    parts: list[str] = []
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the exact class is asserted
        stream_text(failures_server, api, "error-partial", parts, mode=mode)
    _assert_stream_error(api, caught.value)
    partial = "".join(parts)
    # OpenAI: the role chunk, then five words; Anthropic: three events, then three words.
    assert partial == ("alpha beta gamma delta epsilon" if api == "openai" else "alpha beta gamma")


@pytest.mark.parametrize("api", APIS)
def test_a_timed_break_counts_from_the_first_event(
    failures_server: BackgroundServer, api: Api
) -> None:
    # ``after: 150ms`` with a 150 ms ttft: counted from the headers, the stream would break
    # right after its first event, before any text (OpenAI's role chunk, Anthropic's
    # message_start); counted from the first event, text arrives for 150 ms first.
    parts: list[str] = []
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the exact class is asserted
        stream_text(failures_server, api, "error-after-time", parts)
    _assert_stream_error(api, caught.value)
    assert "".join(parts)


# --- broken connections --------------------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
def test_disconnect_mid_stream(failures_server: BackgroundServer, api: Api) -> None:
    parts: list[str] = []
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the exact class is asserted
        stream_text(failures_server, api, "disconnect", parts)
    assert parts, "the text before the break arrives first"
    if api == "openai":
        assert type(caught.value) is openai.APIConnectionError
    else:
        # anthropic does not wrap transport errors raised while iterating a stream: the
        # client must catch httpx2's own exception (it is not an anthropic.APIError).
        assert type(caught.value) is httpx2.RemoteProtocolError


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("api", APIS)
def test_reset_raises_connection_error(
    failures_server: BackgroundServer, api: Api, stream: bool
) -> None:
    def attempt() -> object:
        if stream:
            return stream_text(failures_server, api, "reset", [])
        return ask(failures_server, api, "reset", session=new_session(), max_retries=0)

    with pytest.raises(Exception) as caught:  # noqa: PT011 - the exact class is asserted
        attempt()
    error = openai.APIConnectionError if api == "openai" else anthropic.APIConnectionError
    assert type(caught.value) is error


@pytest.mark.parametrize("api", APIS)
def test_stall_mid_stream_times_out(failures_server: BackgroundServer, api: Api) -> None:
    parts: list[str] = []
    started = time.perf_counter()
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the exact class is asserted
        stream_text(failures_server, api, "stall", parts, timeout=CLIENT_TIMEOUT)
    assert time.perf_counter() - started >= CLIENT_TIMEOUT - TOLERANCE
    assert parts
    if api == "openai":
        assert type(caught.value) is openai.APITimeoutError
    else:
        # As with a disconnect: a raw httpx2 exception mid-iteration, not APITimeoutError.
        assert type(caught.value) is httpx2.ReadTimeout


@pytest.mark.parametrize("api", APIS)
def test_time_to_first_token_is_at_least_the_scripted_ttft(
    failures_server: BackgroundServer, api: Api
) -> None:
    stream_text(failures_server, api, "warm-up", [])  # connections, imports, first parse
    session = new_session()
    started = time.perf_counter()
    first: float | None = None
    if api == "openai":
        with openai_client(failures_server, session) as oai:
            for chunk in oai.chat.completions.create(
                model=OPENAI_MODEL,
                messages=[{"role": "user", "content": "slow-start"}],
                stream=True,
            ):
                if first is None and chunk.choices and chunk.choices[0].delta.content:
                    first = time.perf_counter() - started
    else:
        with anthropic_client(failures_server, session) as ant:
            for event in ant.messages.create(
                model=ANTHROPIC_MODEL,
                max_tokens=256,
                messages=[{"role": "user", "content": "slow-start"}],
                stream=True,
            ):
                if first is None and event.type == "content_block_delta":
                    first = time.perf_counter() - started
    assert first is not None
    assert first >= TTFT - TOLERANCE


# --- broken events ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_truncated_event_fails_instead_of_returning_a_shorter_reply(
    failures_server: BackgroundServer, api: Api, mode: Mode
) -> None:
    parts: list[str] = []
    # Neither SDK wraps it: the half event's JSON fails to parse, as json.JSONDecodeError.
    with pytest.raises(json.JSONDecodeError):
        stream_text(failures_server, api, "truncate", parts, mode=mode)
    assert TEXT.startswith("".join(parts))
    assert "".join(parts) != TEXT


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_missing_terminator_is_not_detected(
    failures_server: BackgroundServer, api: Api, mode: Mode
) -> None:
    # Everything but [DONE] / message_stop: neither SDK notices, raw or through the
    # helper, and get_final_completion() / get_final_message() return the whole reply,
    # with the finish reason its last content event carried. Harmless here, and the
    # reason a stream that ends early is not noticed either (below).
    text, finish = stream_text(failures_server, api, "no-terminator", [], mode=mode)
    assert text == TEXT
    assert finish == ("stop" if api == "openai" else "end_turn")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_a_stream_that_ends_early_is_silently_shortened(
    failures_server: BackgroundServer, api: Api, mode: Mode
) -> None:
    # The body ends cleanly after six events, with no finish chunk / message_delta and
    # no terminator. Neither SDK raises: raw iteration just stops, and the helpers'
    # get_final_completion() / get_final_message() return the partial text. The only
    # trace is a finish reason of None, which a careful client must check.
    parts: list[str] = []
    text, finish = stream_text(failures_server, api, "ends-early", parts, mode=mode)
    assert text == "".join(parts)
    assert text == ("alpha beta gamma delta epsilon" if api == "openai" else "alpha beta gamma")
    assert finish is None


def test_journal_counts_the_stream_events_sent(open_server: BackgroundServer) -> None:
    import httpx2

    session = "events-count"
    client = openai.OpenAI(
        base_url=f"{open_server.url}/session/{session}/s/overloaded-midstream/v1",
        api_key="sk-test",
        max_retries=0,
    )
    with pytest.raises(openai.APIError):
        list(
            client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "go"}], stream=True
            )
        )
    full = openai.OpenAI(
        base_url=f"{open_server.url}/session/{session}/v1", api_key="sk-test", max_retries=0
    )
    chunks = list(
        full.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "go"}], stream=True
        )
    )
    entries = httpx2.get(f"{open_server.url}/__mockgw/requests?session={session}").json()
    broken, whole = entries["requests"]
    assert broken["fault"] == "error"
    assert 0 < broken["events"] < whole["events"]
    assert whole["events"] == len(chunks) + 1  # the chunks, plus [DONE]
