"""Credential headers of gateways (any name that says key, token, auth...) are redacted
in the journal and its JSONL, over real HTTP; harmless look-alikes are kept.
"""

from __future__ import annotations

import json
import uuid

from mockgw.background import BackgroundServer
from mockgw.core.keys import REDACTED
from tests.functional.raw_http import send

SECRETS = {
    "Ocp-Apim-Subscription-Key": "apim-secret-1",
    "X-Goog-Api-Key": "goog-secret-2",
    "cf-aig-authorization": "Bearer cf-secret-3",
    "X-Portkey-Api-Key": "portkey-secret-4",
    "Helicone-Auth": "Bearer helicone-secret-5",
    "anthropic-admin-key": "sk-ant-admin-secret-6",
    "X-Auth-Token": "auth-secret-7",
}
KEPT = {"Idempotency-Key": "retry-42", "x-ratelimit-remaining-tokens": "900"}


def test_gateway_credentials_are_redacted_in_the_journal_and_jsonl(
    open_server: BackgroundServer,
) -> None:
    session = f"redact-{uuid.uuid4().hex[:8]}"
    body = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]})
    headers = [
        ("Authorization", b"Bearer sk-redaction"),
        ("Content-Type", b"application/json"),
        ("X-Mockgw-Session", session.encode()),
        *((name, value.encode()) for name, value in {**SECRETS, **KEPT}.items()),
    ]
    answer = send(open_server.url, "POST", "/v1/chat/completions", headers, body.encode())
    assert answer.status == 200

    listed = send(open_server.url, "GET", f"/__mockgw/requests?session={session}").json()
    (entry,) = listed["requests"]
    jsonl = send(open_server.url, "GET", f"/__mockgw/requests.jsonl?session={session}").body
    for name, value in SECRETS.items():
        assert entry["headers"][name] == REDACTED, name
        assert value.encode() not in jsonl, name
    for name, value in KEPT.items():
        assert entry["headers"][name] == value
