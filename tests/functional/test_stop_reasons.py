"""The 2026 stop reasons, scripted, as both SDKs read them: refusal with its stop_details,
pause_turn and model_context_window_exceeded (and what OpenAI says for them)."""

from __future__ import annotations

import typing
from typing import Any

import pytest

from mockgw import MockGateway
from mockgw.core.chat import FinishReason
from mockgw.protocols.anthropic.encode import STOP_REASONS
from mockgw.protocols.openai.encode import FINISH_REASONS
from mockgw.scenarios.loader import ScenarioLoadError
from mockgw.scenarios.model import NEUTRAL_FINISHES

MESSAGE: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "Hi"}],
}
CHAT: dict[str, Any] = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}


@pytest.fixture(scope="module")
def gateway() -> Any:
    with MockGateway() as running:
        yield running


@pytest.mark.parametrize(
    ("scripted", "anthropic_reason", "openai_reason"),
    [
        ("pause_turn", "pause_turn", "stop"),
        ("pause", "pause_turn", "stop"),
        ("model_context_window_exceeded", "model_context_window_exceeded", "length"),
        ("refusal", "refusal", "content_filter"),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_a_scripted_stop_reason_reaches_both_sdks(
    gateway: MockGateway, scripted: str, anthropic_reason: str, openai_reason: str, stream: bool
) -> None:
    rules = [{"reply": {"text": "Partial answer", "finish_reason": scripted}}]
    with gateway.session(rules=rules) as session:
        anthropic_client = session.anthropic_client(max_retries=0)
        openai_client = session.openai_client(max_retries=0)
        if stream:
            with anthropic_client.messages.stream(**MESSAGE) as events:
                message = events.get_final_message()
            chunks = list(openai_client.chat.completions.create(**CHAT, stream=True))
            finish = next(c.choices[0].finish_reason for c in chunks if c.choices[0].finish_reason)
        else:
            message = anthropic_client.messages.create(**MESSAGE)
            finish = openai_client.chat.completions.create(**CHAT).choices[0].finish_reason
    assert message.stop_reason == anthropic_reason
    assert finish == openai_reason
    if anthropic_reason != "refusal":
        assert message.stop_details is None


@pytest.mark.parametrize("stream", [False, True])
def test_a_refusal_carries_its_stop_details(gateway: MockGateway, stream: bool) -> None:
    refusal = {"category": "bio", "explanation": "hazardous synthesis"}
    with gateway.session(rules=[{"reply": {"text": "No.", "refusal": refusal}}]) as session:
        client = session.anthropic_client(max_retries=0)
        if stream:
            with client.messages.stream(**MESSAGE) as events:
                message = events.get_final_message()
        else:
            message = client.messages.create(**MESSAGE)
    assert message.stop_reason == "refusal"
    assert message.stop_details is not None
    assert message.stop_details.model_dump() == {"type": "refusal", **refusal}


def test_an_ordinary_reply_has_null_stop_details(gateway: MockGateway) -> None:
    with gateway.session() as session:
        raw = session.anthropic_client(max_retries=0).messages.with_raw_response.create(**MESSAGE)
    body = raw.http_response.json()
    assert "stop_details" in body
    assert body["stop_details"] is None


def test_a_refusal_with_another_finish_reason_is_refused_at_load(gateway: MockGateway) -> None:
    rules = [{"reply": {"text": "x", "finish_reason": "end", "refusal": {"category": "cyber"}}}]
    with pytest.raises(ScenarioLoadError, match="'refusal' goes with finish_reason content_filter"):
        gateway.session(rules=rules)


def test_every_neutral_finish_reason_has_a_word_on_both_wires() -> None:
    # A missing entry would be a KeyError, a 500, on the first reply that used it.
    reasons = set(typing.get_args(FinishReason))
    assert reasons == set(STOP_REASONS) == set(FINISH_REASONS)
    assert set(NEUTRAL_FINISHES) == reasons
