"""A property-based fuzz of the HTTP edge: whatever a client sends, the answer is sane.

Hypothesis drives both chat endpoints, Responses (and its stored routes), embeddings,
count_tokens, the model endpoints and the admin API with arbitrary header values (every
byte HTTP allows), content types and encodings, bodies that are near-valid JSON, arbitrary
JSON or arbitrary bytes, plain or compressed, under every URL prefix. No scenario scripts
a failure here, so a 5xx is always mockgw's own bug. Every answer must be in the
documented set of statuses and shaped as its surface promises: the provider's error JSON
on the API, the admin error JSON under ``/__mockgw/``, never aiohttp's text/plain.

The run is derandomized (the same examples every time) and bounded; set
``MOCKGW_FUZZ_EXAMPLES`` for a longer run (``MOCKGW_FUZZ_EXAMPLES=10000 pytest
tests/functional/test_fuzz.py``).
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig
from tests.functional.raw_http import RawResponse, send

EXAMPLES = int(os.environ.get("MOCKGW_FUZZ_EXAMPLES", "300"))

# What mockgw answers with when nothing is scripted; anything else is a defect.
DOCUMENTED = {200, 201, 204, 400, 401, 403, 404, 405, 408, 409, 413, 415, 422}

SCENARIO = """\
scenario: fuzz
rules:
  - name: echo-header
    when: {last_user: {contains: echo}}
    reply: {text: "you are {{ header.x-team }}"}
  - name: answer
    reply: {text: "fine"}
"""

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "echo this"}]}
MESSAGES = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 32,
    "messages": [{"role": "user", "content": "echo this"}],
}
COUNT = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}]}
BODIES: dict[str, dict[str, Any]] = {
    "/v1/chat/completions": CHAT,
    "/v1/messages": MESSAGES,
    "/v1/messages/count_tokens": COUNT,
    "/v1/embeddings": {"model": "text-embedding-3-small", "input": ["echo this"]},
    "/v1/responses": {"model": "gpt-4o", "input": "echo this"},
    "/v1/responses/input_tokens": {"model": "gpt-4o", "input": "hi"},
}
API_PATHS = [
    *BODIES,
    "/v1/models",
    "/v1/models/gpt-4o",
    "/v1/models/claude-sonnet-4-5",
    "/v1/responses/resp_nope",
    "/v1/responses/resp_nope/input_items",
]
ADMIN_PATHS = [
    "/__mockgw/health",
    "/__mockgw/version",
    "/__mockgw/scenarios",
    "/__mockgw/scenarios/active",
    "/__mockgw/scenarios/fuzz/rules",
    "/__mockgw/sessions",
    "/__mockgw/sessions/fuzz/state",
    "/__mockgw/sessions/fuzz/scenario",
    "/__mockgw/requests",
    "/__mockgw/requests.jsonl",
    "/__mockgw/unmatched",
    "/__mockgw/metrics",
]


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    scenarios = tmp_path_factory.mktemp("fuzz")
    (scenarios / "fuzz.yaml").write_text(SCENARIO)
    # No shipped library: some of its scenarios script 5xx answers on purpose.
    config = ServerConfig(port=0, library=False, scenarios_dirs=(scenarios,), scenario="fuzz")
    with BackgroundServer(config) as running:
        yield running


# --- strategies -----------------------------------------------------------------------------

# Every byte a header value may hold (RFC 9110 field-vchar, SP, HTAB, obs-text), not at
# the ends, where HTTP strips whitespace.
_VALUE_BYTES = [b for b in range(0x21, 0x100) if b != 0x7F]
header_values = st.one_of(
    st.binary(max_size=40).map(lambda raw: bytes(_VALUE_BYTES[b % len(_VALUE_BYTES)] for b in raw)),
    st.binary(max_size=40).map(lambda raw: b"x " + bytes(b % 0x80 + 0x80 for b in raw) + b" y"),
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _named(name: str, values: st.SearchStrategy[bytes]) -> st.SearchStrategy[tuple[str, bytes]]:
    return st.tuples(st.just(name), values)


def _either(*choices: bytes) -> st.SearchStrategy[bytes]:
    return st.sampled_from(choices) | header_values


HEADERS = [
    _named("Authorization", _either(b"Bearer sk-fuzz", b"Bearer ", b"Basic eDp5")),
    _named("x-api-key", _either(b"sk-fuzz")),
    _named("anthropic-version", _either(b"2023-06-01", b"2023-01-01")),
    _named("anthropic-beta", _either(b"prompt-caching-2024-07-31")),
    _named("Content-Type", _either(b"application/json", b"text/plain", b"application/x+json")),
    _named("Content-Encoding", _either(b"gzip", b"deflate", b"identity")),
    _named("X-Mockgw-Scenario", _either(b"fuzz", b"nope")),
    _named("X-Mockgw-Session", _either(b"s1", b"a b", "sessé".encode())),
    _named("X-Team", header_values),
    _named("Origin", _either(b"http://127.0.0.1", b"http://evil.example", b"null")),
    # DNS rebinding: the admin API answers 403 to a Host it is not known by.
    _named(
        "Host", _either(b"127.0.0.1", b"localhost:1", b"evil.example", b"[::1]", b"a.localhost")
    ),
    _named("Accept", _either(b"text/html", b"text/event-stream", b"*/*")),
    _named("X-Fuzz", header_values),
]


# The headers a well-formed request to each API carries; the fuzz starts from them
# most of the time, so that it gets past authentication into validation and replies.
_PROPER = {
    "openai": [("Authorization", b"Bearer sk-fuzz"), ("Content-Type", b"application/json")],
    "anthropic": [
        ("x-api-key", b"sk-fuzz"),
        ("anthropic-version", b"2023-06-01"),
        ("Content-Type", b"application/json"),
    ],
}


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, list[tuple[str, bytes]], bytes]:
    path = draw(
        st.sampled_from(list(BODIES))
        | st.sampled_from(list(BODIES))
        | st.sampled_from(API_PATHS)
        | st.sampled_from(ADMIN_PATHS)
        | st.text(max_size=12).map(lambda t: "/v1/" + quote(t, safe=""))
    )
    takes_body = path in BODIES
    method = draw(
        st.sampled_from(["POST"] * 8 + ["GET", "PUT", "DELETE", "PATCH"])
        if takes_body
        else st.sampled_from(["GET", "GET", "POST", "PUT", "DELETE", "PATCH"])
    )
    prefix = ""
    if not path.startswith("/__mockgw"):
        prefix = draw(st.sampled_from(["", "", "", "/s/fuzz", "/s/nope", "/session/a%20b/s/fuzz"]))
    api = "anthropic" if path.startswith("/v1/messages") else draw(st.sampled_from(list(_PROPER)))
    headers = dict(_PROPER[api]) if draw(st.integers(0, 3)) else {}
    # Then change, add or drop some: never two of one name, which aiohttp refuses itself.
    for name, value in [draw(h) for h in draw(st.lists(st.sampled_from(HEADERS), max_size=4))]:
        headers[name] = value
    for name in draw(st.lists(st.sampled_from(sorted(headers)), max_size=1)) if headers else ():
        del headers[name]
    body = draw(_body(path))
    encoding = headers.get("Content-Encoding")
    if encoding == b"gzip" and draw(st.booleans()):
        body = gzip.compress(body)
    elif encoding == b"deflate" and draw(st.booleans()):
        body = zlib.compress(body)
    return method, prefix + path, list(headers.items()), body


@st.composite
def _near_valid(draw: st.DrawFn, template: dict[str, Any]) -> bytes:
    body = dict(template)
    for _ in range(draw(st.integers(0, 2))):
        key = draw(
            st.sampled_from([*template, "stream", "tools", "temperature", "stop", "metadata", "n"])
        )
        body[key] = draw(json_values)
    if draw(st.booleans()):
        body["stream"] = True
    return json.dumps(body).encode()


def _body(path: str) -> st.SearchStrategy[bytes]:
    anything = json_values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=64)
    template = BODIES.get(path)
    return anything if template is None else _near_valid(template) | anything


# --- the property ---------------------------------------------------------------------------


def _check(path: str, response: RawResponse) -> None:
    status, content_type = response.status, response.content_type
    event(
        f"{status} {'admin' if path.startswith('/__mockgw') else 'api'}"
    )  # for --hypothesis-show-statistics
    assert status in DOCUMENTED, (status, response.body[:300])
    if path.endswith("/metrics") and status == 200:
        return  # the Prometheus text format
    assert not content_type.startswith("text/plain"), response.body[:300]
    if content_type.startswith(("text/event-stream", "application/x-ndjson")):
        assert status == 200
        return
    body = json.loads(response.body) if response.body else None
    if status < 400:
        return
    assert isinstance(body, dict), response.body[:300]
    error = body["error"]
    assert isinstance(error["message"], str)
    if path.startswith("/__mockgw"):
        assert error["type"] == "mockgw_admin_error"
    elif body.get("type") == "error":  # Anthropic's shape
        assert isinstance(error["type"], str)
    else:  # OpenAI's shape
        assert set(error) >= {"message", "type", "param", "code"}


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(request=requests())
def test_every_answer_is_documented_and_shaped(
    target: BackgroundServer, request: tuple[str, str, list[tuple[str, bytes]], bytes]
) -> None:
    method, path, headers, body = request
    _check(path, send(target.url, method, path, headers, body))
