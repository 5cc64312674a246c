"""Bytes a client may legally send, and bodies that do not decode: a 4xx, never a 500.

HTTP allows any byte from 0x80 up in a header value; each case here once got a 500
(aiohttp's text/plain one, or mockgw's "internal error" with a traceback).
"""

from __future__ import annotations

import gzip
import json
import logging
import socket
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig
from tests.functional.raw_http import RawResponse, send

KEY = "sk-bytes"
BAD = b"\xff\xfe"  # not UTF-8 in any position
CHAT = "/v1/chat/completions"
MESSAGES = "/v1/messages"
COUNT = "/v1/messages/count_tokens"
JSON_TYPE = ("Content-Type", b"application/json")
OPENAI_KEY = ("Authorization", b"Bearer " + KEY.encode())
ANTHROPIC_KEY = ("x-api-key", KEY.encode())
VERSION = ("anthropic-version", b"2023-06-01")
CHAT_BODY = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]})
MESSAGES_BODY = json.dumps(
    {
        "model": "claude-sonnet-4-5",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "hi"}],
    }
)
ECHO_HEADER = """\
scenario: echo-team
rules:
  - reply: {text: "team {{ header.x-team }}"}
"""


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    """One API key accepted; the shipped library plus a scenario echoing a header."""
    scenarios = tmp_path_factory.mktemp("scenarios")
    (scenarios / "echo-team.yaml").write_text(ECHO_HEADER)
    config = ServerConfig(port=0, api_keys=frozenset({KEY}), scenarios_dirs=(scenarios,))
    with BackgroundServer(config) as running:
        yield running


def _openai_shaped(response: RawResponse) -> None:
    assert response.content_type.startswith("application/json"), response.body[:200]
    assert isinstance(response.json()["error"]["message"], str)


def _anthropic_shaped(response: RawResponse) -> None:
    assert response.content_type.startswith("application/json"), response.body[:200]
    body = response.json()
    assert body["type"] == "error"
    assert isinstance(body["error"]["message"], str)


@pytest.mark.parametrize(
    ("path", "headers", "body", "status"),
    [
        pytest.param(
            MESSAGES,
            [ANTHROPIC_KEY, ("anthropic-version", b"2023-06-01" + BAD), JSON_TYPE],
            MESSAGES_BODY,
            400,
            id="anthropic-version",
        ),
        pytest.param(
            MESSAGES,
            [ANTHROPIC_KEY, VERSION, ("Content-Type", b"application/json" + BAD)],
            MESSAGES_BODY,
            400,
            id="anthropic-content-type",
        ),
        pytest.param(
            MESSAGES, [("x-api-key", KEY.encode() + BAD), VERSION, JSON_TYPE], MESSAGES_BODY, 401,
            id="anthropic-key",
        ),
    ],
)  # fmt: skip
def test_anthropic_headers(
    keyed: BackgroundServer, path: str, headers: list[tuple[str, bytes]], body: str, status: int
) -> None:
    response = send(keyed.url, "POST", path, headers, body.encode())
    assert response.status == status, response.body
    _anthropic_shaped(response)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param([OPENAI_KEY, ("Content-Type", b"application/json" + BAD)], 400,
                     id="content-type"),
        pytest.param([OPENAI_KEY, JSON_TYPE, ("X-Mockgw-Scenario", b"echo" + BAD)], 404,
                     id="scenario"),
        pytest.param([("Authorization", b"Bearer " + KEY.encode() + BAD), JSON_TYPE], 401,
                     id="api-key"),
    ],
)  # fmt: skip
def test_openai_headers_refused(
    keyed: BackgroundServer, headers: list[tuple[str, bytes]], status: int
) -> None:
    response = send(keyed.url, "POST", CHAT, headers, CHAT_BODY.encode())
    assert response.status == status, response.body
    _openai_shaped(response)
    assert "\ufffd" in response.json()["error"]["message"] or status == 401


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param([OPENAI_KEY, ("X-Mockgw-Session", b"s" + BAD),
                      ("X-Mockgw-Scenario", b"echo")], id="session"),
        # The rate-limit bucket is keyed by the client's key.
        pytest.param([("Authorization", b"Bearer k" + BAD),
                      ("X-Mockgw-Scenario", b"rate-limited-60-rpm")], id="bucket-key"),
    ],
)  # fmt: skip
def test_openai_headers_answered(
    open_server: BackgroundServer, headers: list[tuple[str, bytes]]
) -> None:
    response = send(open_server.url, "POST", CHAT, [*headers, JSON_TYPE], CHAT_BODY.encode())
    assert response.status == 200, response.body
    assert response.json()["object"] == "chat.completion"


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_a_template_echoes_a_bad_header_as_replacement_characters(
    keyed: BackgroundServer, stream: bool
) -> None:
    body = json.dumps({**json.loads(CHAT_BODY), "stream": stream}).encode()
    headers = [OPENAI_KEY, JSON_TYPE, ("X-Mockgw-Scenario", b"echo-team"), ("X-Team", b"a" + BAD)]
    response = send(keyed.url, "POST", CHAT, headers, body)
    assert response.status == 200, response.body
    assert _text_of(response, stream=stream) == "team a\ufffd\ufffd"


def _text_of(response: RawResponse, *, stream: bool) -> str:
    if not stream:
        return str(response.json()["choices"][0]["message"]["content"])
    chunks = [
        json.loads(line[len(b"data: ") :])
        for line in response.body.splitlines()
        if line.startswith(b"data: {")
    ]
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])


def test_the_journal_keeps_the_repaired_header(keyed: BackgroundServer) -> None:
    session = ("X-Mockgw-Session", b"journal-bytes")
    headers = [OPENAI_KEY, JSON_TYPE, session, ("X-Team", b"a" + BAD)]
    assert send(keyed.url, "POST", CHAT, headers, CHAT_BODY.encode()).status == 200
    journal = send(keyed.url, "GET", "/__mockgw/requests?session=journal-bytes")
    assert journal.status == 200
    (entry,) = journal.json()["requests"]
    assert entry["headers"]["X-Team"] == "a\ufffd\ufffd"


# --- bodies that do not decode -----------------------------------------------------------


def _corrupt(encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.compress(CHAT_BODY.encode())[:-12] + b"garbage-tail"
    return b"not deflate at all"


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_a_corrupt_compressed_body_is_a_400(
    keyed: BackgroundServer, encoding: str, api: str
) -> None:
    path, headers = (
        (CHAT, [OPENAI_KEY]) if api == "openai" else (MESSAGES, [ANTHROPIC_KEY, VERSION])
    )
    headers = [*headers, JSON_TYPE, ("Content-Encoding", encoding.encode())]
    response = send(keyed.url, "POST", path, headers, _corrupt(encoding))
    assert response.status == 400, response.body
    (_openai_shaped if api == "openai" else _anthropic_shaped)(response)
    assert f"not valid {encoding}" in response.body.decode()


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", _raw_deflate),  # no zlib header, as some clients send it
        ("gzip", lambda b: gzip.compress(b[:10]) + gzip.compress(b[10:])),  # two members
        ("identity", lambda b: b),
        ("gzip, gzip", lambda b: gzip.compress(gzip.compress(b))),
    ],
    ids=["gzip", "x-gzip", "deflate", "raw-deflate", "gzip-members", "identity", "twice"],
)
def test_a_valid_compressed_body_is_read(
    keyed: BackgroundServer, encoding: str, compress: Any
) -> None:
    headers = [OPENAI_KEY, JSON_TYPE, ("Content-Encoding", encoding.encode())]
    response = send(keyed.url, "POST", CHAT, headers, compress(CHAT_BODY.encode()))
    assert response.status == 200, response.body


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress"])
@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_an_unsupported_encoding_is_a_provider_400(
    keyed: BackgroundServer, encoding: str, api: str
) -> None:
    path, headers = (
        (CHAT, [OPENAI_KEY]) if api == "openai" else (MESSAGES, [ANTHROPIC_KEY, VERSION])
    )
    headers = [*headers, JSON_TYPE, ("Content-Encoding", encoding.encode())]
    response = send(keyed.url, "POST", path, headers, b"\x8b\x00compressed?")
    assert response.status == 400, response.body
    (_openai_shaped if api == "openai" else _anthropic_shaped)(response)
    assert f"Content-Encoding '{encoding}' is not supported" in response.body.decode()


def test_a_body_that_inflates_past_the_limit_is_a_413() -> None:
    config = ServerConfig(port=0, max_body_bytes=64 * 1024)
    bomb = gzip.compress(b" " * (10 * 1024 * 1024))  # 10 KiB on the wire, 10 MiB inflated
    assert len(bomb) < 64 * 1024
    with BackgroundServer(config) as small:
        headers = [OPENAI_KEY, JSON_TYPE, ("Content-Encoding", b"gzip")]
        response = send(small.url, "POST", CHAT, headers, bomb)
    assert response.status == 413, response.body
    _openai_shaped(response)


def test_anthropic_names_a_body_too_large_only_once_decoded() -> None:
    config = ServerConfig(port=0, max_body_bytes=64 * 1024)
    bomb = gzip.compress(b" " * (10 * 1024 * 1024))
    with BackgroundServer(config) as small:
        headers = [ANTHROPIC_KEY, VERSION, JSON_TYPE, ("Content-Encoding", b"gzip")]
        decoded = send(small.url, "POST", MESSAGES, headers, bomb)
        plain = send(small.url, "POST", MESSAGES, headers[:3], b" " * (65 * 1024))
    assert decoded.status == 413, decoded.body
    details = decoded.json()["error"].get("details")
    assert details == {"error_code": "request_body_too_large_after_decoding"}
    # Too large as sent: the plain 413, no code.
    assert plain.status == 413, plain.body
    assert "details" not in plain.json()["error"]


def test_the_admin_api_reads_bodies_the_same_way(keyed: BackgroundServer) -> None:
    headers = [("Content-Type", b"application/yaml"), ("Content-Encoding", b"gzip")]
    response = send(keyed.url, "POST", "/__mockgw/scenarios", headers, b"not gzip")
    assert response.status == 400, response.body
    assert response.json()["error"]["type"] == "mockgw_admin_error"
    assert "not valid gzip" in response.json()["error"]["message"]
    scenario = gzip.compress(b"scenario: zipped\nrules:\n  - reply: {text: unzipped}\n")
    response = send(keyed.url, "POST", "/__mockgw/scenarios", headers, scenario)
    assert response.status == 201, response.body


# --- count_tokens reads only what it validated -------------------------------------------


@pytest.mark.parametrize(
    "extra", [{"metadata": "user-1"}, {"stop_sequences": 5}, {"max_tokens": "many"}]
)
def test_count_tokens_ignores_messages_only_fields(
    keyed: BackgroundServer, extra: dict[str, Any]
) -> None:
    body = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}]}
    headers = [ANTHROPIC_KEY, VERSION, JSON_TYPE]
    response = send(keyed.url, "POST", COUNT, headers, json.dumps({**body, **extra}).encode())
    assert response.status == 200, response.body
    assert response.json()["input_tokens"] > 0
    (field,) = extra
    assert f"unknown field '{field}'" in response.headers["x-mockgw-warning"]


def test_count_tokens_refuses_them_when_strict(strict_server: BackgroundServer) -> None:
    body = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "x"}]}
    body["metadata"] = "user-1"
    headers = [ANTHROPIC_KEY, VERSION, JSON_TYPE]
    response = send(strict_server.url, "POST", COUNT, headers, json.dumps(body).encode())
    assert response.status == 400
    _anthropic_shaped(response)
    assert "metadata" in response.json()["error"]["message"]


# --- paths with a newline ------------------------------------------------------------------


@pytest.mark.parametrize("path", [CHAT + "%0a", "/v1/models/%0a", "/v1/messages%0A/x"])
def test_an_encoded_newline_in_the_path_is_a_json_404(keyed: BackgroundServer, path: str) -> None:
    response = send(keyed.url, "POST", path, [OPENAI_KEY, JSON_TYPE], CHAT_BODY.encode())
    assert response.status == 404, response.body
    assert response.content_type.startswith("application/json")
    assert "error" in response.json()


# --- malformed HTTP: one line in the log, not a traceback ----------------------------------

MALFORMED = {
    "bad-chunk-size": b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
    "cl-and-te": b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "nul-in-header": b"X-A: a\x00b\r\nContent-Length: 0\r\n\r\n",
}


@pytest.mark.parametrize("tail", list(MALFORMED.values()), ids=list(MALFORMED))
def test_a_malformed_request_is_logged_in_one_line(
    keyed: BackgroundServer, tail: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mockgw")
    with socket.create_connection(("127.0.0.1", keyed.port), timeout=5) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n" + tail)
        reply = sock.recv(4096)
    status_line = reply.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.")
    assert b" 400 " in status_line
    records = [r for r in caplog.records if r.name == "mockgw.http"]
    assert len(records) == 1, [r.getMessage() for r in caplog.records]
    (record,) = records
    assert record.levelno == logging.INFO
    assert record.exc_info is None
    assert record.getMessage().startswith("malformed request from 127.0.0.1: ")
    assert "\n" not in record.getMessage()


def test_mockgws_own_failures_keep_their_traceback() -> None:
    """Only the client's bad bytes are shortened: any other record passes as it was."""
    from mockgw.web.protocol_log import ClientErrorsInOneLine

    try:
        raise KeyError("a bug")
    except KeyError as exc:
        record = logging.LogRecord(
            "mockgw.http", logging.ERROR, __file__, 1, "Error handling request from %s",
            ("127.0.0.1",), (type(exc), exc, exc.__traceback__),
        )  # fmt: skip
    assert ClientErrorsInOneLine().filter(record)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
