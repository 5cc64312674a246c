"""One session-id rule for the URL prefix, the header, the admin API and the library.

Before it, the prefix and the header took any id while the admin API allowed only
1-100 letters, digits, '_', '.' and '-': a session such as ``a b`` could be used but
never reset.
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlsplit

import pytest

from mockgw import MockGateway
from mockgw.background import BackgroundServer
from mockgw.state.runtime import valid_session_id
from tests.functional.raw_http import send

CHAT = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}).encode()
MESSAGES = json.dumps(
    {
        "model": "claude-sonnet-4-5",
        "max_tokens": 16,
        "messages": [{"role": "user", "content": "hi"}],
    }
).encode()
OPENAI = [("Authorization", b"Bearer sk-ids"), ("Content-Type", b"application/json")]
ANTHROPIC = [
    ("x-api-key", b"sk-ids"),
    ("anthropic-version", b"2023-06-01"),
    ("Content-Type", b"application/json"),
]
MAX_SESSION_ID = 512  # the rule's bound, written out: the test states the contract
ODD_BUT_VALID = ["a b", "sess\u00e9", "x" * 300, "100%?#&=", "\u00e9" * MAX_SESSION_ID]


@pytest.mark.parametrize("session", ODD_BUT_VALID)
def test_an_id_the_prefix_takes_the_admin_api_can_reset(
    open_server: BackgroundServer, session: str
) -> None:
    segment = quote(session, safe="")
    answer = send(open_server.url, "POST", f"/session/{segment}/v1/chat/completions", OPENAI, CHAT)
    assert answer.status == 200
    listed = send(open_server.url, "GET", f"/__mockgw/requests?session={segment}").json()
    assert [e["session"] for e in listed["requests"]] == [session]
    reset = send(open_server.url, "POST", f"/__mockgw/sessions/{segment}/reset")
    assert reset.status == 200, reset.body
    assert reset.json()["id"] == session
    assert send(open_server.url, "GET", f"/__mockgw/sessions/{segment}/state").status == 200
    assert send(open_server.url, "DELETE", f"/__mockgw/sessions/{segment}").status == 200


@pytest.mark.parametrize("session", ["a b", "sess\u00e9", "y" * 300])
def test_an_id_the_header_takes_the_admin_api_can_create_and_reset(
    open_server: BackgroundServer, session: str
) -> None:
    body = json.dumps({"id": session}).encode()
    created = send(open_server.url, "POST", "/__mockgw/sessions", [OPENAI[1]], body)
    assert created.status == 201, created.body
    assert created.json()["prefix"] == "/session/" + quote(session, safe="")
    header = [*OPENAI, ("X-Mockgw-Session", session.encode())]
    assert send(open_server.url, "POST", "/v1/chat/completions", header, CHAT).status == 200
    segment = quote(session, safe="")
    assert send(open_server.url, "POST", f"/__mockgw/sessions/{segment}/reset").status == 200


@pytest.mark.parametrize(
    ("path_id", "header_id"),
    [("z" * (MAX_SESSION_ID + 1), None), ("a%2Fb", None), (None, b"z" * (MAX_SESSION_ID + 1))],
)
@pytest.mark.parametrize(
    ("path", "headers", "body", "shape"),
    [
        ("/v1/chat/completions", OPENAI, CHAT, "openai"),
        ("/v1/messages", ANTHROPIC, MESSAGES, "anthropic"),
    ],
)
def test_a_bad_id_on_the_api_is_a_provider_400(
    open_server: BackgroundServer,
    path_id: str | None,
    header_id: bytes | None,
    path: str,
    headers: list[tuple[str, bytes]],
    body: bytes,
    shape: str,
) -> None:
    url_path = f"/session/{path_id}{path}" if path_id else path
    sent = [*headers, ("X-Mockgw-Session", header_id)] if header_id else headers
    answer = send(open_server.url, "POST", url_path, sent, body)
    assert answer.status == 400
    error = answer.json()["error"]  # both APIs nest it under "error"
    assert error["type"] == "invalid_request_error"
    assert "session id" in error["message"]
    if shape == "anthropic":
        assert answer.json()["type"] == "error"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/__mockgw/sessions", json.dumps({"id": "z" * (MAX_SESSION_ID + 1)})),
        ("POST", "/__mockgw/sessions", json.dumps({"id": "tab\there"})),
        ("POST", "/__mockgw/sessions", json.dumps({"id": "a/b"})),
        ("POST", "/__mockgw/sessions/a%2Fb/reset", ""),
        ("GET", "/__mockgw/sessions/" + "z" * (MAX_SESSION_ID + 1) + "/state", ""),
    ],
)
def test_a_bad_id_on_the_admin_api_is_an_admin_400(
    open_server: BackgroundServer, method: str, path: str, body: str
) -> None:
    sent = [("Content-Type", b"application/json")]
    answer = send(open_server.url, method, path, sent, body.encode())
    assert answer.status == 400
    error = answer.json()["error"]
    assert error["type"] == "mockgw_admin_error"
    assert "session id" in error["message"]


@pytest.mark.parametrize(
    ("session", "valid"),
    [
        ("a", True),
        ("a b", True),
        ("\u00e9", True),
        ("x" * MAX_SESSION_ID, True),
        ("", False),
        ("x" * (MAX_SESSION_ID + 1), False),
        ("a/b", False),
        ("a\nb", False),
        ("a\x00", False),
        (7, False),
    ],
)
def test_the_rule(session: object, valid: bool) -> None:
    assert valid_session_id(session) is valid


def test_the_library_percent_encodes_the_session_url() -> None:
    with MockGateway() as gateway, gateway.session("my session%é") as session:
        assert session.url == f"{gateway.url}/session/my%20session%25%C3%A9"
        path = urlsplit(session.openai_base_url).path + "/chat/completions"
        assert send(gateway.url, "POST", path, OPENAI, CHAT).status == 200
        (entry,) = session.requests()
        assert entry.session == session.id == "my session%\u00e9"
