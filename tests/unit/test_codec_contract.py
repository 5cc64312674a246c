"""A toy third wire format proves the codec seam, with no edit outside this file.

The toy speaks ``POST /toy/v1/say`` with an ``x-toy-key`` header and a body
``{"model": str, "lines": [str, ...], "stream": bool}``; it answers
``{"said": text, "model": ..., "tokens": n}``, or streams ``event: piece`` frames ending
with ``event: over``; its errors are ``{"oops": {"why", "kind", "ticket"}}`` (an
``event: oops`` frame mid-stream) and its request id is ``toy-request-id``. It is
registered with ``MockGateway(codecs=...)``, driven by the one generic pipeline, and
talked to with raw aiohttp, since no SDK speaks it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import aiohttp
import pytest
from typing_extensions import override

from mockgw import ApiError, MockGateway, ScenarioLoadError
from mockgw.core.chat import ChatRequest, Completion, Message
from mockgw.core.completions import generated_completion
from mockgw.core.failures import PRESETS, retry_headers
from mockgw.core.ratelimit import Admission
from mockgw.core.tokens import request_tokens
from mockgw.errors import BodyProblem, ErrorKind
from mockgw.protocols import codec as wire
from mockgw.protocols.anthropic.codec import AnthropicCodec
from mockgw.protocols.openai.codec import OpenAICodec
from mockgw.protocols.presets import FINAL, RETRYABLE, WirePreset

# --- the toy wire format ------------------------------------------------------------------

TOY_PATH = "/toy/v1/say"
COUNT_PATH = "/toy/v1/count"
KEY = "toy-key-0123456789"

_KINDS: dict[ErrorKind, str] = {
    "invalid_request_error": "bad_body",
    "authentication_error": "who_are_you",
    "permission_error": "not_yours",
    "not_found_error": "lost",
    "request_too_large": "too_big",
    "rate_limit_error": "slow_down",
    "billing_error": "pay_up",
    "api_error": "broken",
    "timeout_error": "too_slow",
    "overloaded_error": "crowded",
}

# Every catalogue entry as the toy words it: its status and neutral kind.
_CATALOGUE: dict[str, tuple[int, ErrorKind]] = {
    "rate_limit": (429, "rate_limit_error"),
    "overloaded": (503, "overloaded_error"),
    "server_error": (500, "api_error"),
    "bad_gateway": (502, "api_error"),
    "unavailable": (503, "api_error"),
    "gateway_timeout": (504, "timeout_error"),
    "request_timeout": (408, "timeout_error"),
    "authentication": (401, "authentication_error"),
    "permission": (403, "permission_error"),
    "not_found": (404, "not_found_error"),
    "request_too_large": (413, "request_too_large"),
    "context_length_exceeded": (400, "invalid_request_error"),
    "insufficient_quota": (402, "billing_error"),
    "billing": (402, "billing_error"),
    "content_filter": (400, "invalid_request_error"),
    "ramp_limit_exceeded": (429, "rate_limit_error"),
    "enforced_spend_limit_reached": (429, "rate_limit_error"),
    "request_body_too_large_after_decoding": (413, "request_too_large"),
    "compaction_unavailable": (503, "overloaded_error"),
    "thread_not_found": (404, "not_found_error"),
    "thread_already_continued": (400, "invalid_request_error"),
    "thread_continue_in_flight": (400, "invalid_request_error"),
    "thread_fingerprint_mismatch": (400, "invalid_request_error"),
    "thread_unsupported_request": (400, "invalid_request_error"),
}


def _frame(event: str, payload: Mapping[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n".encode()


def _bad(why: str) -> ApiError:
    return ApiError(400, "invalid_request_error", why)


class Say(wire.ChatOperation[None]):
    """``POST /toy/v1/say``."""

    def decode(self, body: dict[str, Any], *, strict: bool) -> wire.Decoded[None]:
        model, lines, stream = body.get("model"), body.get("lines"), body.get("stream", False)
        if not isinstance(model, str) or not model:
            raise _bad("model: give a non-empty string")
        if not isinstance(lines, list) or not lines or not all(isinstance(x, str) for x in lines):
            raise _bad("lines: give a non-empty list of strings")
        if not isinstance(stream, bool):
            raise _bad("stream: give true or false")
        unknown = sorted(set(body) - {"model", "lines", "stream"})
        if strict and unknown:
            raise _bad(f"{unknown[0]}: the toy knows no such field")
        messages = tuple(Message("user", line) for line in lines)
        chat = ChatRequest(
            api=ToyCodec.name, model=model, messages=messages, stream=stream, tool_id_prefix="toy_"
        )
        return wire.Decoded(chat, body, None, unknown)

    @override
    def body(self, completion: Completion, decoded: wire.Decoded[None]) -> dict[str, Any]:
        text, tokens = completion.choices[0].text, completion.usage.output_tokens
        return {"said": text, "model": completion.model, "tokens": tokens}

    @override
    def events(self, completion: Completion, decoded: wire.Decoded[None]) -> list[bytes]:
        pieces = [_frame("piece", {"t": chunk}) for chunk in completion.choices[0].text_chunks]
        return [*pieces, _frame("over", {"tokens": completion.usage.output_tokens})]


class Count(wire.JsonOperation):
    """``POST /toy/v1/count``: answered at once, through the same checks as ``say``."""

    takes_body = True

    def decode(self, body: dict[str, Any], *, strict: bool) -> wire.Decoded[None]:
        return Say().decode(body, strict=strict)

    def answer(self, call: wire.Call) -> dict[str, Any]:
        assert call.decoded is not None  # takes_body
        return {"tokens": request_tokens(call.decoded.chat)}


class ToyCodec(wire.Codec):
    name = "toy"
    request_id_header = "toy-request-id"
    request_id_prefix = "toy_"
    secret_headers = frozenset({"x-toy-key"})
    presets: ClassVar[Mapping[str, WirePreset]] = {
        name: WirePreset(
            status,
            kind,
            f"toy: {name.replace('_', ' ')} ({{model}})",
            headers=RETRYABLE if status in (429, 500, 503) else FINAL,
        )
        for name, (status, kind) in _CATALOGUE.items()
    }

    def routes(self) -> Sequence[wire.Route]:
        return (wire.Route("POST", TOY_PATH, Say()), wire.Route("POST", COUNT_PATH, Count()))

    @override
    def claims(self, path: str, headers: wire.Headers) -> bool:
        return path.startswith("/toy/")

    def credentials(self, headers: wire.Headers) -> str | None:
        return headers.get("x-toy-key") or None

    def missing_key(self) -> ApiError:
        return ApiError(401, "authentication_error", "x-toy-key: missing")

    def invalid_key(self, redacted: str) -> ApiError:
        return ApiError(401, "authentication_error", f"x-toy-key: {redacted} is no toy key")

    def body_error(self, problem: BodyProblem) -> ApiError:
        if problem.kind == "too_large":
            return ApiError(413, "request_too_large", "body: too big for a toy")
        return _bad(f"body: {problem.kind.replace('_', ' ')}")

    def model_not_found(self, model: str) -> ApiError:
        return ApiError(404, "not_found_error", f"model: no toy called {model}")

    def route_not_found(self, method: str, path: str) -> ApiError:
        return ApiError(404, "not_found_error", f"no toy at {method} {path}")

    def error_body(self, error: ApiError, request_id: str) -> dict[str, Any]:
        kind = error.wire_type or _KINDS[error.kind]
        return {"oops": {"why": error.message, "kind": kind, "ticket": request_id}}

    def error_event(self, error: ApiError, request_id: str) -> bytes:
        return _frame("oops", self.error_body(error, request_id)["oops"])

    @override
    def rate_limited(self, refusal: Admission, *, model: str) -> ApiError:
        why = f"toy bucket '{refusal.limited_by}' is empty"
        return ApiError(429, "rate_limit_error", why, headers=retry_headers(refusal.retry_after))


# --- a client of the toy ----------------------------------------------------------------

SCENARIOS = """
scenario: toy-script
rules:
  - name: greet
    when: {api: toy, last_user: {contains: hello}}
    replies: [{text: "hello back"}, {text: "hello again"}]
  - name: tired
    when: {last_user: {contains: tired}}
    reply: {error: rate_limit, retry_after: 2500ms}
  - name: nap
    when: {last_user: {contains: nap}}
    reply:
      error: {status: 503, message: "napping until {{ header.x-until | default('noon') }}"}
      retry_after: 20ms
  - name: falter
    when: {last_user: {contains: falter}}
    reply:
      text: "one two three four five six"
      stream: {fail: {after_events: 3, with: error, error: overloaded}}
  - name: drop
    when: {last_user: {contains: drop}}
    reply:
      text: "one two three four five six"
      stream: {fail: {after_events: 2, with: disconnect}}
"""


@dataclass(frozen=True, slots=True)
class Heard:
    """What a toy client got: status, headers, body, and whether the body was cut off."""

    status: int
    headers: Mapping[str, str]
    raw: bytes
    broken: bool

    def json(self) -> Any:
        return json.loads(self.raw)

    def events(self) -> list[tuple[str, dict[str, Any]]]:
        """Whole SSE frames only: whatever follows the last blank line is incomplete."""
        frames = []
        for block in self.raw.decode().split("\n\n")[:-1]:
            fields = {}
            for line in block.splitlines():
                name, _, value = line.partition(": ")
                fields[name] = value
            frames.append((fields["event"], json.loads(fields["data"])))
        return frames


async def call(
    base: str,
    body: Any = None,
    *,
    key: str | None = KEY,
    path: str = TOY_PATH,
    method: str = "POST",
    headers: Mapping[str, str] | None = None,
) -> Heard:
    sent = {**({"x-toy-key": key} if key else {}), **(headers or {})}
    async with (
        aiohttp.ClientSession() as client,
        client.request(method, base + path, json=body, headers=sent) as response,
    ):
        raw, broken = b"", False
        try:
            async for chunk in response.content.iter_any():
                raw += chunk
        except aiohttp.ClientPayloadError:  # the server dropped the connection
            broken = True
        return Heard(response.status, response.headers, raw, broken)


def say(*lines: str, stream: bool = False) -> dict[str, Any]:
    return {"model": "toy-1", "lines": list(lines), "stream": stream}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockGateway]:
    folder = tmp_path_factory.mktemp("toy-scenarios")
    (folder / "toy.yaml").write_text(SCENARIOS)
    # any_model: the model catalogue knows only OpenAI and Claude ids.
    toy = MockGateway(codecs=(ToyCodec,), scenarios_dir=folder, api_keys=[KEY], any_model=True)
    with toy as running:
        yield running


# --- the contract -------------------------------------------------------------------------


def test_the_toy_words_every_catalogue_entry() -> None:
    assert set(ToyCodec.presets) == set(PRESETS)


async def test_a_generated_reply_as_json_and_as_a_stream(gateway: MockGateway) -> None:
    session = gateway.session()
    expected = generated_completion(Say().decode(say("tell me a story"), strict=False).chat)
    text = expected.choices[0].text

    plain = await call(session.url, say("tell me a story"))
    assert plain.status == 200
    assert plain.headers["Content-Type"].startswith("application/json")
    assert plain.headers["toy-request-id"].startswith("toy_")
    assert "x-mockgw-rule" not in plain.headers  # no scenario: nothing decided
    assert plain.json() == {"said": text, "model": "toy-1", "tokens": expected.usage.output_tokens}

    streamed = await call(session.url, say("tell me a story", stream=True))
    assert streamed.status == 200
    assert not streamed.broken
    assert streamed.headers["Content-Type"].startswith("text/event-stream")
    frames = streamed.events()
    assert [name for name, _ in frames] == ["piece"] * len(expected.choices[0].text_chunks) + [
        "over"
    ]
    assert "".join(data["t"] for name, data in frames if name == "piece") == text
    assert frames[-1] == ("over", {"tokens": expected.usage.output_tokens})

    first, second = session.requests()
    assert (first.api, first.path, first.status, first.stream, first.events) == (
        "toy",
        f"/session/{session.id}{TOY_PATH}",
        200,
        False,
        0,
    )
    assert (second.api, second.status, second.stream, second.events) == (
        "toy",
        200,
        True,
        len(frames),
    )
    assert first.rule is None
    assert first.scenario is None
    assert second.fault is None


async def test_the_toy_checks_its_own_key_and_body(gateway: MockGateway) -> None:
    base = gateway.session().url

    missing = await call(base, say("hi"), key=None)
    assert missing.status == 401
    assert missing.json()["oops"]["why"] == "x-toy-key: missing"
    assert missing.json()["oops"]["kind"] == "who_are_you"

    wrong = await call(base, say("hi"), key="toy-key-wrong-9876")
    assert (wrong.status, wrong.json()["oops"]["why"]) == (
        401,
        "x-toy-key: toy-****9876 is no toy key",
    )

    bad = await call(base, {"model": "toy-1", "lines": "not a list"})
    assert bad.status == 400
    assert bad.json() == {
        "oops": {
            "why": "lines: give a non-empty list of strings",
            "kind": "bad_body",
            "ticket": bad.headers["toy-request-id"],
        }
    }

    not_json = await call(base, headers={"Content-Type": "text/plain"})
    assert (not_json.status, not_json.json()["oops"]["why"]) == (400, "body: content type")

    extra = await call(base, {**say("hi"), "colour": "red"})
    assert extra.status == 200
    assert extra.headers["x-mockgw-warning"] == "unknown field 'colour' accepted and ignored"


async def test_an_unknown_path_or_scenario_gets_the_toy_404(gateway: MockGateway) -> None:
    lost = await call(gateway.url, method="GET", path="/toy/v1/nope")
    assert lost.status == 404
    assert lost.headers["toy-request-id"].startswith("toy_")
    assert lost.json()["oops"] == {
        "why": "no toy at GET /toy/v1/nope",
        "kind": "lost",
        "ticket": lost.headers["toy-request-id"],
    }

    session = gateway.session()
    unknown = await call(session.url, say("hi"), path=f"/s/toy-scrpt{TOY_PATH}")
    assert unknown.status == 404
    assert unknown.json()["oops"]["kind"] == "lost"
    assert "Did you mean 'toy-script'?" in unknown.json()["oops"]["why"]
    assert unknown.headers["x-mockgw-rule"] == "toy-scrpt/<unknown>"


async def test_a_json_operation_runs_the_same_checks_in_the_same_order(
    gateway: MockGateway,
) -> None:
    session = gateway.session()
    counted = await call(session.url, say("count these words"), path=COUNT_PATH)
    assert counted.status == 200
    chat = Say().decode(say("count these words"), strict=False).chat
    assert counted.json() == {"tokens": request_tokens(chat)}
    # The body is checked before the scenario, as on every endpoint of every codec.
    bad = await call(session.url, {"model": "toy-1"}, path=f"/s/nope{COUNT_PATH}")
    assert (bad.status, bad.json()["oops"]["kind"]) == (400, "bad_body")
    unknown = await call(session.url, say("hi"), path=f"/s/nope{COUNT_PATH}")
    assert (unknown.status, unknown.json()["oops"]["kind"]) == (404, "lost")
    assert (await call(session.url, say("hi"), key=None, path=COUNT_PATH)).status == 401
    assert [(e.api, e.status) for e in session.requests()] == [
        ("toy", 200),
        ("toy", 400),
        ("toy", 404),
        ("toy", 401),
    ]


def test_an_operation_that_lacks_a_method_cannot_be_made() -> None:
    class Mute(wire.ChatOperation[None]):
        def decode(self, body: dict[str, Any], *, strict: bool) -> wire.Decoded[None]:
            return Say().decode(body, strict=strict)

    with pytest.raises(TypeError, match="abstract"):
        Mute()  # type: ignore[abstract]


async def test_a_matched_rule_and_its_reply_sequence(gateway: MockGateway) -> None:
    session = gateway.session(scenario="toy-script")
    heard = [await call(session.url, say("hello there")) for _ in range(3)]
    assert [h.status for h in heard] == [200, 200, 200]
    assert [h.json()["said"] for h in heard] == ["hello back", "hello again", "hello again"]
    assert {h.headers["x-mockgw-rule"] for h in heard} == {"toy-script/greet"}
    assert [(e.scenario, e.rule) for e in session.requests()] == [("toy-script", "greet")] * 3

    missed = await call(session.url, say("good evening"))
    assert missed.status == 404
    assert missed.headers["x-mockgw-rule"] == "toy-script/<unmatched>"
    assert missed.json()["oops"]["kind"] == "lost"
    assert "no rule of scenario 'toy-script' matched" in missed.json()["oops"]["why"]
    assert len(session.unmatched) == 1
    with pytest.raises(AssertionError, match="1 request"):
        session.check()


async def test_a_scripted_http_error_with_retry_headers(gateway: MockGateway) -> None:
    session = gateway.session(scenario="toy-script")

    tired = await call(session.url, say("I am tired"))
    assert tired.status == 429
    assert (tired.headers["retry-after"], tired.headers["retry-after-ms"]) == ("3", "2500")
    assert tired.headers["x-should-retry"] == "true"
    assert tired.headers["x-mockgw-rule"] == "toy-script/tired"
    assert tired.json()["oops"] == {
        "why": "toy: rate limit (toy-1)",
        "kind": "slow_down",
        "ticket": tired.headers["toy-request-id"],
    }

    nap = await call(session.url, say("time for a nap"), headers={"x-until": "four"})
    assert nap.status == 503
    assert (nap.headers["retry-after"], nap.headers["retry-after-ms"]) == ("1", "20")
    assert nap.json()["oops"]["why"] == "napping until four"
    assert nap.json()["oops"]["kind"] == "broken"

    first, second = session.requests()
    assert (first.api, first.status, first.rule, first.error) == (
        "toy",
        429,
        "tired",
        "toy: rate limit (toy-1)",
    )
    assert (second.status, second.rule, second.error) == (503, "nap", "napping until four")


async def test_a_spent_rate_limit_in_the_toys_words(gateway: MockGateway) -> None:
    gateway.add_scenario(
        "scenario: toy-limited\nlimits: {rpm: 1, per: session}\nunmatched: generate\nrules: []\n"
    )
    session = gateway.session(scenario="toy-limited")
    assert (await call(session.url, say("one"))).status == 200
    refused = await call(session.url, say("two"))
    assert refused.status == 429
    assert refused.json()["oops"]["why"] == "toy bucket 'requests' is empty"
    assert 50 <= float(refused.headers["retry-after-ms"]) <= 60_000
    assert refused.headers["x-mockgw-rule"] == "toy-limited/<limits>"


async def test_an_error_event_mid_stream(gateway: MockGateway) -> None:
    session = gateway.session(scenario="toy-script")
    heard = await call(session.url, say("falter please", stream=True))
    assert heard.status == 200
    assert not heard.broken
    assert heard.headers["x-mockgw-rule"] == "toy-script/falter"
    frames = heard.events()
    assert frames[:3] == [
        ("piece", {"t": "one"}),
        ("piece", {"t": " two"}),
        ("piece", {"t": " three"}),
    ]
    assert frames[3:] == [
        (
            "oops",
            {
                "why": "toy: overloaded (toy-1)",
                "kind": "crowded",
                "ticket": heard.headers["toy-request-id"],
            },
        )
    ]
    # Without streaming, the same fault is the error's own status.
    plain = await call(session.url, say("falter please"))
    assert (plain.status, plain.json()["oops"]["kind"]) == (503, "crowded")

    streamed, unstreamed = session.requests()
    assert (streamed.status, streamed.fault, streamed.events, streamed.rule) == (
        200,
        "error",
        3,
        "falter",
    )
    assert (unstreamed.status, unstreamed.fault, unstreamed.events) == (503, "error", 0)


async def test_a_disconnect_mid_stream(gateway: MockGateway) -> None:
    session = gateway.session(scenario="toy-script")
    heard = await call(session.url, say("drop it", stream=True))
    assert heard.status == 200
    assert heard.broken  # the connection closed before the body ended
    assert heard.events() == [("piece", {"t": "one"}), ("piece", {"t": " two"})]
    assert b"event: over" not in heard.raw
    (entry,) = session.requests()
    assert (entry.api, entry.status, entry.fault, entry.events, entry.rule) == (
        "toy",
        200,
        "disconnect",
        2,
        "drop",
    )


async def test_the_journal_entry_and_the_rule_header(gateway: MockGateway) -> None:
    session = gateway.session(scenario="toy-script")
    heard = await call(session.url, say("hello journal"))
    assert heard.headers["x-mockgw-rule"] == "toy-script/greet"
    (entry,) = session.requests()
    assert entry.api == "toy"
    assert entry.session == session.id
    assert (entry.method, entry.path) == ("POST", f"/session/{session.id}{TOY_PATH}")
    assert entry.request_id == heard.headers["toy-request-id"]
    assert entry.body == say("hello journal")
    assert (entry.status, entry.scenario, entry.rule, entry.fault) == (
        200,
        "toy-script",
        "greet",
        None,
    )
    assert (entry.error, entry.code, entry.in_flight) == (None, None, False)
    assert session.assert_called(times=1, api="toy", rule="greet", status=200) == [entry]
    assert gateway.requests(api="toy", rule="greet")[-1].request_id == entry.request_id


async def test_the_journal_hides_the_toy_key(gateway: MockGateway) -> None:
    session = gateway.session()
    await call(session.url, say("hi"))
    (entry,) = session.requests()
    assert entry.headers["x-toy-key"] == "[redacted]"
    assert KEY not in entry.headers.values()


async def test_the_api_condition_takes_the_servers_codec_names(gateway: MockGateway) -> None:
    # The folder's scenario, loaded at startup, says ``api: toy`` in its rule "greet".
    assert gateway.engine.apis == ("toy",)
    scripted = gateway.session(scenario="toy-script")
    assert (await call(scripted.url, say("hello"))).headers["x-mockgw-rule"] == "toy-script/greet"
    inline = gateway.session(rules=[{"when": {"api": "toy"}, "reply": {"text": "toy only"}}])
    assert (await call(inline.url, say("anything"))).json()["said"] == "toy only"
    # A name no codec of this server has is refused when loading.
    with pytest.raises(ScenarioLoadError, match=r"when\.api: invalid value 'openai'; valid: toy"):
        gateway.add_scenario("scenario: not-here\nrules: [{when: {api: openai}, reply: {}}]\n")


async def test_the_toy_sits_beside_the_real_codecs() -> None:
    codecs = (OpenAICodec, AnthropicCodec, ToyCodec)
    async with MockGateway(codecs=codecs, api_keys=[KEY], any_model=True) as gateway:
        session = gateway.session(rules=[{"when": {"api": "toy"}, "reply": {"text": "mine"}}])
        assert (await call(session.url, say("hi"))).json()["said"] == "mine"
        toy_404 = await call(gateway.url, method="GET", path="/toy/v1/nope")
        assert toy_404.json()["oops"]["why"] == "no toy at GET /toy/v1/nope"
        openai_404 = await call(gateway.url, method="GET", path="/v1/nope")
        assert openai_404.json()["error"]["message"] == "Invalid URL (GET /v1/nope)"
        assert [e.api for e in session.requests()] == ["toy"]
