"""The shipped failure scenarios as the official SDKs observe them.

Each scenario is selected the two ways a client can (the ``/s/NAME`` URL prefix and
the ``X-Mockgw-Scenario`` header) and used through the ``openai`` SDK (at ``/v1``: Chat
Completions, and the Responses API, which the same files drive unchanged) and the
``anthropic`` SDK (at the base URL), in a session of its own. The
assertions are about what a caller sees: exceptions, partial text, timing lower
bounds, retry behaviour and rate-limit headers.
"""

from __future__ import annotations

import itertools
import json
import random
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import anthropic
import openai
import pytest

from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig
from mockgw.scenarios.engine import session_seed
from mockgw.web.selection import SCENARIO_HEADER, SESSION_HEADER
from tests.conftest import SHIPPED_SCENARIOS
from tests.functional.serve_support import Server

Api = Literal["openai", "anthropic", "responses"]
Via = Literal["prefix", "header"]
OPENAI_MODEL = "gpt-4o"
ANTHROPIC_MODEL = "claude-haiku-4-5-20251001"
BOTH: list[tuple[Api, Via]] = [
    ("openai", "prefix"),
    ("openai", "header"),
    ("anthropic", "prefix"),
    ("anthropic", "header"),
    ("responses", "prefix"),
]
# One selection style per API where a test is slow: both styles are still covered.
ONE_EACH: list[tuple[Api, Via]] = [
    ("openai", "prefix"),
    ("anthropic", "header"),
    ("responses", "header"),
]
SEED = 2024
# Timing lower bounds allow for timer granularity, nothing more.
TOLERANCE = 0.05


def openai_wire(api: Api) -> bool:
    """Whether ``api`` speaks OpenAI's wire (its errors, headers and SDK)."""
    return api != "anthropic"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class Clients:
    """SDK clients of one API for one scenario and session, selected by prefix or header."""

    def __init__(
        self,
        server: BackgroundServer,
        api: Api,
        via: Via,
        scenario: str,
        *,
        session: str | None = None,
        api_key: str = "sk-test-shipped-failures",
    ) -> None:
        self.api = api
        self.session = session or unique("sf")
        self.headers = {SESSION_HEADER: self.session}
        prefix = ""
        if via == "prefix":
            prefix = f"/s/{scenario}"
        else:
            self.headers[SCENARIO_HEADER] = scenario
        self.base_url = server.url + prefix + ("/v1" if openai_wire(api) else "")
        self.api_key = api_key
        # One client per retry setting, kept: a new client per call would cost a new
        # connection (and tens of milliseconds) every time.
        self._openai: dict[int, openai.OpenAI] = {}
        self._anthropic: dict[int, anthropic.Anthropic] = {}

    def openai(self, max_retries: int = 0) -> openai.OpenAI:
        if max_retries not in self._openai:
            self._openai[max_retries] = openai.OpenAI(
                base_url=self.base_url,
                api_key=self.api_key,
                max_retries=max_retries,
                default_headers=self.headers,
            )
        return self._openai[max_retries]

    def anthropic(self, max_retries: int = 0) -> anthropic.Anthropic:
        if max_retries not in self._anthropic:
            self._anthropic[max_retries] = anthropic.Anthropic(
                base_url=self.base_url,
                api_key=self.api_key,
                max_retries=max_retries,
                default_headers=self.headers,
            )
        return self._anthropic[max_retries]

    def ask(self, max_retries: int = 0, text: str = "hello") -> tuple[str, dict[str, str]]:
        """One non-streamed call: the answer's text and response headers."""
        if self.api == "openai":
            raw = self.openai(max_retries).chat.completions.with_raw_response.create(
                model=OPENAI_MODEL, messages=[{"role": "user", "content": text}]
            )
            return raw.parse().choices[0].message.content or "", dict(raw.headers)
        if self.api == "responses":
            answer = self.openai(max_retries).responses.with_raw_response.create(
                model=OPENAI_MODEL, input=text
            )
            return answer.parse().output_text, dict(answer.headers)
        response = self.anthropic(max_retries).messages.with_raw_response.create(
            model=ANTHROPIC_MODEL, max_tokens=200, messages=[{"role": "user", "content": text}]
        )
        message = response.parse()
        text = "".join(b.text for b in message.content if b.type == "text")
        return text, dict(response.headers)

    def stream(self, on_text: Callable[[str], None]) -> None:
        """One streamed call; ``on_text`` gets each piece of text as it arrives."""
        if self.api == "openai":
            chunks = self.openai().chat.completions.create(
                model=OPENAI_MODEL, messages=[{"role": "user", "content": "hi"}], stream=True
            )
            with chunks:
                for chunk in chunks:
                    for choice in chunk.choices:
                        if choice.delta.content:
                            on_text(choice.delta.content)
            return
        if self.api == "responses":
            items = self.openai().responses.create(model=OPENAI_MODEL, input="hi", stream=True)
            with items:
                for item in items:
                    if item.type == "response.output_text.delta":
                        on_text(item.delta)
            return
        events = self.anthropic().messages.create(
            model=ANTHROPIC_MODEL,
            max_tokens=200,
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
        )
        with events:
            for event in events:
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    on_text(event.delta.text)

    def warm_up(self) -> None:
        """Open the connection (and import what the SDK imports lazily) before timing."""
        if openai_wire(self.api):
            self.openai().models.list()
        else:
            self.anthropic().models.list()

    def close(self) -> None:
        for client in self._openai.values():
            client.close()
        for other in self._anthropic.values():
            other.close()


@pytest.fixture
def clients(open_server: BackgroundServer) -> Iterator[Callable[..., Clients]]:
    made: list[Clients] = []

    def make(api: Api, via: Via, scenario: str, **kw: Any) -> Clients:
        result = Clients(kw.pop("server", open_server), api, via, scenario, **kw)
        made.append(result)
        return result

    yield make
    for each in made:
        each.close()


def rate_limit_error(api: Api) -> type[Exception]:
    return openai.RateLimitError if openai_wire(api) else anthropic.RateLimitError


def journal(server: BackgroundServer | Server, session: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{server.url}/__mockgw/requests?session={session}") as reply:
        entries: list[dict[str, Any]] = json.load(reply)["requests"]
    return entries


# --- retry-then-succeed ---------------------------------------------------------------------


@pytest.mark.parametrize(("api", "via"), BOTH)
def test_retry_then_succeed_with_default_retries(
    api: Api, via: Via, clients: Callable[..., Clients], open_server: BackgroundServer
) -> None:
    chat = clients(api, via, "retry-then-succeed")
    started = time.perf_counter()
    text, headers = chat.ask(max_retries=2)  # the SDKs' default
    elapsed = time.perf_counter() - started
    assert text == "Succeeded after being rate-limited twice."
    assert headers["x-mockgw-rule"] == "retry-then-succeed/success"
    # The SDK waited retry-after-ms (50 ms) before each of its two retries.
    assert elapsed >= 2 * 0.05 - TOLERANCE
    statuses = [entry["status"] for entry in journal(open_server, chat.session)]
    assert statuses == [429, 429, 200]


@pytest.mark.parametrize(("api", "via"), BOTH)
def test_retry_then_succeed_without_retries_sees_two_429s(
    api: Api, via: Via, clients: Callable[..., Clients]
) -> None:
    chat = clients(api, via, "retry-then-succeed")
    for _ in range(2):
        with pytest.raises(rate_limit_error(api)) as caught:
            chat.ask()
        error = caught.value
        assert isinstance(error, (openai.APIStatusError, anthropic.APIStatusError))
        assert error.response.headers["retry-after-ms"] == "50"
        assert error.response.headers["retry-after"] == "1"
    assert chat.ask()[0] == "Succeeded after being rate-limited twice."


# --- overloaded-midstream ---------------------------------------------------------------------


@pytest.mark.parametrize(("api", "via"), BOTH)
def test_overloaded_midstream_gives_partial_text_then_raises(
    api: Api, via: Via, clients: Callable[..., Clients]
) -> None:
    chat = clients(api, via, "overloaded-midstream")
    received: list[str] = []
    expected = openai.APIError if openai_wire(api) else anthropic.APIStatusError
    with pytest.raises(expected) as caught:
        chat.stream(received.append)
    partial = "".join(received)
    assert len(received) >= 2
    assert partial
    full = (
        "This answer starts streaming normally, but the server becomes overloaded before it "
        "can finish the rest of the sentence."
    )
    assert full.startswith(partial)
    assert partial != full
    error = caught.value
    assert isinstance(error, (openai.APIError, anthropic.APIError))
    if openai_wire(api):
        assert "overloaded" in error.message
    else:
        body = error.body
        assert isinstance(body, dict)
        assert body["error"]["type"] == "overloaded_error"


@pytest.mark.parametrize(("api", "via"), BOTH)
def test_overloaded_midstream_plain_request_gets_the_overloaded_status(
    api: Api, via: Via, clients: Callable[..., Clients]
) -> None:
    chat = clients(api, via, "overloaded-midstream")
    expected = openai.InternalServerError if openai_wire(api) else anthropic.OverloadedError
    with pytest.raises(expected) as caught:
        chat.ask()
    error = caught.value
    assert isinstance(error, (openai.APIStatusError, anthropic.APIStatusError))
    assert error.status_code == (503 if openai_wire(api) else 529)
    assert error.response.headers["x-should-retry"] == "true"


# --- slow-first-token -------------------------------------------------------------------------

TTFT = 1.0  # scenarios/slow-first-token.yaml


@pytest.mark.parametrize(("api", "via"), ONE_EACH)
def test_slow_first_token_then_normal_pacing(
    api: Api, via: Via, clients: Callable[..., Clients]
) -> None:
    chat = clients(api, via, "slow-first-token")
    chat.warm_up()
    arrivals: list[float] = []
    pieces: list[str] = []

    def on_text(text: str) -> None:
        arrivals.append(time.perf_counter())
        pieces.append(text)

    started = time.perf_counter()
    chat.stream(on_text)
    assert arrivals[0] - started >= TTFT - TOLERANCE
    # After the first token, pieces keep coming, each after its 10 ms gap.
    assert len(pieces) >= 10
    assert arrivals[-1] - arrivals[0] >= (len(pieces) - 1) * 0.01 - TOLERANCE
    assert "".join(pieces).strip()


def test_slow_first_token_delays_a_plain_request(clients: Callable[..., Clients]) -> None:
    chat = clients("anthropic", "prefix", "slow-first-token")
    chat.warm_up()
    started = time.perf_counter()
    text, headers = chat.ask()
    assert time.perf_counter() - started >= TTFT - TOLERANCE
    assert text
    assert headers["x-mockgw-rule"] == "slow-first-token/slow-start"


# --- flaky-10-percent -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded() -> Iterator[BackgroundServer]:
    config = ServerConfig(port=0, scenarios_dir=SHIPPED_SCENARIOS, seed=SEED)
    with BackgroundServer(config) as running:
        yield running


def failures(chat: Clients, calls: int = 50) -> list[int]:
    failed = []
    for index in range(calls):
        try:
            chat.ask()
        except (openai.InternalServerError, anthropic.InternalServerError):
            failed.append(index)
    return failed


def predicted(seed: int, session: str, calls: int = 50) -> list[int]:
    # Documented: one draw from random.Random(session_seed(seed, session)) per request.
    rng = random.Random(session_seed(seed, session))
    return [index for index in range(calls) if rng.random() < 0.1]


@pytest.mark.parametrize(("api", "via"), ONE_EACH)
def test_flaky_fails_a_reproducible_subset(
    api: Api, via: Via, clients: Callable[..., Clients], seeded: BackgroundServer
) -> None:
    session = f"flaky-{api}"  # fixed: the seed and the session decide the outcomes
    first = failures(clients(api, via, "flaky-10-percent", server=seeded, session=session))
    assert first == predicted(SEED, session)
    assert 1 <= len(first) <= 15  # about 10 % of 50
    # A fresh server with the same seed replays the same failures.
    config = ServerConfig(port=0, scenarios_dir=SHIPPED_SCENARIOS, seed=SEED)
    with BackgroundServer(config) as fresh:
        again = failures(clients(api, via, "flaky-10-percent", server=fresh, session=session))
        assert again == first
    # Another seed fails on other calls.
    with BackgroundServer(ServerConfig(port=0, scenarios_dir=SHIPPED_SCENARIOS, seed=1)) as other:
        assert failures(clients(api, via, "flaky-10-percent", server=other, session=session)) != (
            first
        )


@pytest.mark.parametrize(("api", "via"), ONE_EACH)
def test_flaky_succeeds_every_time_with_default_retries(
    api: Api, via: Via, clients: Callable[..., Clients], seeded: BackgroundServer
) -> None:
    session = f"flaky-retried-{api}"
    chat = clients(api, via, "flaky-10-percent", server=seeded, session=session)
    for _ in range(50):
        text, _headers = chat.ask(max_retries=2)
        assert text
    statuses = [entry["status"] for entry in journal(seeded, session)]
    # The SDK did retry: some attempts failed, and each failure was followed by a retry.
    assert statuses.count(500) >= 1
    assert statuses.count(200) == 50
    assert statuses[-1] == 200


# --- rate-limited-60-rpm ----------------------------------------------------------------------


def remaining_header(api: Api) -> str:
    if openai_wire(api):
        return "x-ratelimit-remaining-requests"
    return "anthropic-ratelimit-requests-remaining"


@pytest.mark.slow
@pytest.mark.parametrize(("api", "via"), ONE_EACH)
def test_rate_limited_60_rpm(api: Api, via: Via, clients: Callable[..., Clients]) -> None:
    # Buckets are per API key: a key of its own keeps other tests out of this one's.
    chat = clients(api, via, "rate-limited-60-rpm", api_key=unique("sk-rpm"))
    chat.warm_up()
    remaining: list[int] = []
    started = time.monotonic()
    refused: Exception | None = None
    for _ in range(70):
        try:
            _text, headers = chat.ask()
        except rate_limit_error(api) as error:
            refused = error
            break
        remaining.append(int(headers[remaining_header(api)]))
    elapsed = time.monotonic() - started
    assert isinstance(refused, (openai.RateLimitError, anthropic.RateLimitError))
    # One request a second refills: 60 quick calls pass, the 61st is refused (a slow
    # machine that took over a second gets the refilled ones too).
    assert 60 <= len(remaining) <= 60 + int(elapsed)
    if elapsed < 0.9:
        assert len(remaining) == 60
    # The headers count down: by one per call, less what refilled meanwhile.
    assert remaining[0] == 59
    assert all(b in (a, a - 1) for a, b in itertools.pairwise(remaining))
    assert remaining[-1] <= 1

    refusal = refused.response.headers
    assert refusal[remaining_header(api)] == "0"
    wait = float(refusal["retry-after-ms"]) / 1000
    assert 0 < wait <= 1.0
    assert refusal["retry-after"] == "1"
    refused_at = time.monotonic()
    if wait > 0.2:
        # Half-way through, the request is still refused, and the new retry-after is
        # what is left of the first one.
        time.sleep(wait / 2)
        with pytest.raises(rate_limit_error(api)) as caught:
            chat.ask()
        assert isinstance(caught.value, (openai.RateLimitError, anthropic.RateLimitError))
        left = float(caught.value.response.headers["retry-after-ms"]) / 1000
        assert left == pytest.approx(wait - (time.monotonic() - refused_at), abs=0.1)
        wait = left
        refused_at = time.monotonic()
    # Waiting the retry-after is enough.
    time.sleep(max(0.0, wait - (time.monotonic() - refused_at)) + 0.02)
    text, headers = chat.ask()
    assert text
    assert headers[remaining_header(api)] == "0"
    # The bucket is empty again; an SDK with its default retries waits the retry-after
    # it is given (at most a second) and succeeds.
    started = time.monotonic()
    text, _headers = chat.ask(max_retries=2)
    assert text
    assert time.monotonic() - started >= 0.5 - TOLERANCE


# --- mockgw serve --chaos FILE --seed N --------------------------------------------------------

CHAOS_FILE = """\
scenario: cli-chaos
rules:
  - name: boom
    when: {last_user: boom}
    reply: {error: bad_gateway}
  - name: coin
    probability: 0.5
    reply: {error: overloaded}
"""


def _post(url: str, session: str, text: str) -> int:
    request = urllib.request.Request(
        url + "/s/echo/v1/chat/completions",
        data=json.dumps(
            {"model": OPENAI_MODEL, "messages": [{"role": "user", "content": text}]}
        ).encode(),
        headers={
            "Authorization": "Bearer sk-test",
            "Content-Type": "application/json",
            SESSION_HEADER: session,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status: int = response.status
            assert json.load(response)["choices"][0]["message"]["content"] == text
            return status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def test_serve_applies_chaos_file_and_seed(
    tmp_path: Path, start_server: Callable[[list[str]], Server]
) -> None:
    chaos = tmp_path / "chaos.yaml"
    chaos.write_text(CHAOS_FILE, encoding="utf-8")
    args = ["--scenarios", str(SHIPPED_SCENARIOS), "--chaos", str(chaos), "--seed", "77"]
    server = start_server(args)
    # A chaos rule is tried before the request's own scenario (echo)...
    assert _post(server.url, "cli", "boom") == 502
    # ...and the coin flips are the ones --seed 77 and the session predict.
    statuses = [_post(server.url, "cli-coin", "hello") for _ in range(20)]
    rng = random.Random(session_seed(77, "cli-coin"))
    assert statuses == [503 if rng.random() < 0.5 else 200 for _ in range(20)]
    entries = journal(server, "cli-coin")
    assert {e["scenario"] for e in entries} == {"cli-chaos", "echo"}


# --- a request bigger than the whole bucket ------------------------------------------------


@pytest.mark.parametrize("api", ["openai", "anthropic", "responses"])
def test_request_larger_than_the_bucket_is_not_retried(
    api: Api, tmp_path: Path, clients: Callable[..., Clients]
) -> None:
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "tiny.yaml").write_text(
        "scenario: tiny-tpm\nlimits: {tpm: 100}\nunmatched: generate\nrules: []\n",
        encoding="utf-8",
    )
    with BackgroundServer(ServerConfig(port=0, scenarios_dir=scenarios)) as server:
        # Anthropic's max_tokens (200) alone exceeds the bucket; OpenAI's prompt does.
        chat = clients(api, "header", "tiny-tpm", server=server)
        with pytest.raises(rate_limit_error(api)) as caught:
            chat.ask(max_retries=2, text="word " * 150)
        error = caught.value
        assert isinstance(error, (openai.RateLimitError, anthropic.RateLimitError))
        assert error.response.headers["x-should-retry"] == "false"
        assert error.response.headers["retry-after"] == "60"  # bounded: the bucket's window
        # The SDK believed x-should-retry: one attempt, no minute-long waits.
        assert len(journal(server, chat.session)) == 1
