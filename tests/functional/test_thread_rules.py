"""Message threads over plain HTTP: every rule of a continue, and what the store keeps."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest

from mockgw.gateway import GatewaySession, MockGateway
from tests.functional.raw_http import RawResponse, send

BETA = "message-threads-2026-08-12"
RULES = """
- name: slow
  when: {last_user: {contains: slowly}}
  reply: {text: "Slow.", delay: 400ms}
- name: broken
  when: {last_user: {contains: break}}
  reply: {text: "one two three four five", stream: {fail: {after_events: 2, with: disconnect}}}
- name: scripted
  when: {last_user: {contains: lost}}
  reply: {error: thread_not_found}
- name: chat
  reply: {text: "Turn {{ turn }}: {{ last_user }}."}
"""


@pytest.fixture(scope="module")
def gateway() -> Iterator[MockGateway]:
    with MockGateway() as running:
        yield running


@pytest.fixture
def session(gateway: MockGateway) -> Iterator[GatewaySession]:
    with gateway.session(rules=RULES) as opened:
        yield opened


def _post(
    session: GatewaySession,
    thread: Any,
    text: str | None = "hi",
    *,
    beta: str = BETA,
    **fields: Any,
) -> RawResponse:
    body: dict[str, Any] = {"model": "claude-haiku-4-5", "max_tokens": 64, **fields}
    body.setdefault("messages", [{"role": "user", "content": text}] if text else [])
    if thread is not None:
        body["thread"] = thread
    headers = [
        ("x-api-key", session.api_key.encode()),
        ("anthropic-version", b"2023-06-01"),
        ("content-type", b"application/json"),
    ]
    if beta:
        headers.append(("anthropic-beta", beta.encode()))
    path = urlsplit(session.url).path + "/v1/messages"
    return send(session.gateway.url, "POST", path, headers, json.dumps(body).encode())


def _continue(message_id: str) -> dict[str, str]:
    return {"type": "continue", "previous_message_id": message_id}


def _code(response: RawResponse) -> str:
    return str(response.json()["error"]["details"]["error_code"])


def test_a_continue_answers_from_the_whole_history(session: GatewaySession) -> None:
    first = _post(session, {"type": "create"}, "one", system="Be brief.")
    second = _post(session, _continue(first.json()["id"]), "two", beta=f"other-beta, {BETA}")
    assert second.status == 200
    # turn counts the user turns of the whole conversation, not of the short body.
    assert second.json()["content"][0]["text"] == "Turn 2: two."


def test_an_empty_continue_is_accepted(session: GatewaySession) -> None:
    first = _post(session, {"type": "create"})
    resumed = _post(session, _continue(first.json()["id"]), None)
    assert resumed.status == 200


def test_the_same_thread_without_the_beta_is_an_unknown_field(session: GatewaySession) -> None:
    refused = _post(session, {"type": "create"}, beta="")
    assert refused.status == 400
    assert refused.json()["error"]["message"] == "thread: Extra inputs are not permitted"


@pytest.mark.parametrize(
    ("thread", "message"),
    [
        ("create", "thread: Input should be a valid dictionary"),
        ({"type": "fork"}, "thread: Input tag 'fork'"),
        ({}, "thread: Unable to extract tag"),
        ({"type": "continue"}, "thread.continue.previous_message_id: Field required"),
        ({"type": "continue", "previous_message_id": 5}, "Input should be a valid string"),
        ({"type": "create", "x": 1}, "thread.create.x: Extra inputs are not permitted"),
    ],
)
def test_a_malformed_thread_is_a_400(session: GatewaySession, thread: Any, message: str) -> None:
    refused = _post(session, thread)
    assert refused.status == 400
    assert message in refused.json()["error"]["message"]


def test_repeating_system_or_changing_output_config_is_a_fingerprint_mismatch(
    session: GatewaySession,
) -> None:
    config = {"effort": "low"}
    first = _post(session, {"type": "create"}, system="Be brief.", output_config=config)
    handle = first.json()["id"]
    repeated = _post(session, _continue(handle), system="Be brief.", output_config=config)
    changed = _post(session, _continue(handle), output_config={"effort": "high"})
    assert (repeated.status, _code(repeated)) == (400, "thread_fingerprint_mismatch")
    assert "`system`" in repeated.json()["error"]["message"]
    assert (changed.status, _code(changed)) == (400, "thread_fingerprint_mismatch")
    assert "`output_config`" in changed.json()["error"]["message"]
    # Neither refusal used the thread up.
    assert _post(session, _continue(handle), output_config=config).status == 200


def test_a_second_continue_while_the_first_is_answered_is_in_flight(
    session: GatewaySession,
) -> None:
    handle = _post(session, {"type": "create"}).json()["id"]
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(_post, session, _continue(handle), "slowly")
        deadline = time.monotonic() + 5
        while not any(e.in_flight for e in session.requests()) and time.monotonic() < deadline:
            time.sleep(0.01)
        racing = _post(session, _continue(handle), "now")
        assert slow.result().status == 200
    assert (racing.status, _code(racing)) == (400, "thread_continue_in_flight")
    again = _post(session, _continue(handle), "again")
    assert (again.status, _code(again)) == (400, "thread_already_continued")


def test_a_stream_that_broke_stores_nothing(session: GatewaySession) -> None:
    with pytest.raises((http.client.HTTPException, OSError)):
        _post(session, {"type": "create"}, "break", stream=True)
    assert session.requests()[-1].events == 2
    assert session.gateway.runtime.conversations.count(session.id) == 0


def test_a_rule_scripts_a_thread_error(session: GatewaySession) -> None:
    handle = _post(session, {"type": "create"}).json()["id"]
    scripted = _post(session, _continue(handle), "lost")
    assert (scripted.status, _code(scripted)) == (404, "thread_not_found")
    # A scripted refusal keeps the thread usable.
    assert _post(session, _continue(handle), "fine").status == 200


def test_a_session_reset_forgets_its_threads(session: GatewaySession) -> None:
    handle = _post(session, {"type": "create"}).json()["id"]
    session.reset()
    lost = _post(session, _continue(handle))
    assert (lost.status, _code(lost)) == (404, "thread_not_found")
