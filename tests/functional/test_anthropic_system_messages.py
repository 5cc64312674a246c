"""Mid-conversation ``role: "system"`` messages through the anthropic SDK.

A system message follows a turn (the conversation's prompt is the top-level ``system``),
and a beta one may carry the tool runner's ``tool_addition`` / ``tool_removal`` blocks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig

MODEL = "claude-haiku-4-5-20251001"
USER: Any = {"role": "user", "content": "Hi"}
TOOL: Any = {"name": "noop", "input_schema": {"type": "object"}}


@pytest.fixture(scope="module")
def ant() -> Iterator[anthropic.Anthropic]:
    # strict: a field the schema does not know would be a 400, not a silent warning.
    with (
        BackgroundServer(ServerConfig(port=0, strict=True)) as running,
        anthropic.Anthropic(base_url=running.url, api_key="sk-test", max_retries=0) as client,
    ):
        yield client


def _send(client: anthropic.Anthropic, messages: Any, **kwargs: Any) -> Any:
    return client.beta.messages.create(model=MODEL, max_tokens=64, messages=messages, **kwargs)


def test_a_leading_system_message_is_a_400(ant: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        _send(ant, [{"role": "system", "content": "Be terse."}, USER])
    # The real API's wording, as clients have reported it.
    assert caught.value.api_message == 'messages: first message must use the "user" role'


def test_a_system_message_must_precede_the_assistant_reply(ant: anthropic.Anthropic) -> None:
    system = {"role": "system", "content": "Be terse."}
    with pytest.raises(anthropic.BadRequestError) as caught:
        _send(ant, [USER, system, {"role": "user", "content": "And?"}])
    assert caught.value.api_message == (
        "messages.1: role 'system' must precede an 'assistant' message or end the array"
    )
    answered = [USER, system, {"role": "assistant", "content": "Ok."}, USER]
    assert _send(ant, answered).stop_reason == "end_turn"


def test_a_system_message_after_a_user_turn_is_accepted(ant: anthropic.Anthropic) -> None:
    message = _send(ant, [USER, {"role": "system", "content": "Be terse.", "clear_at": "never"}])
    assert message.stop_reason == "end_turn"


def test_tool_changes_in_a_system_message_are_accepted(ant: anthropic.Anthropic) -> None:
    changes: Any = [
        {"type": "tool_addition", "tool": {"type": "tool_definition", "definition": TOOL}},
        {"type": "tool_removal", "tool": {"type": "tool_reference", "name": "noop"}},
    ]
    system: Any = {"role": "system", "content": changes, "output_config": {"effort": "xhigh"}}
    message = _send(ant, [USER, system], tools=[TOOL])
    assert message.stop_reason == "end_turn"


def test_a_tool_change_outside_a_system_message_is_a_400(ant: anthropic.Anthropic) -> None:
    removal = {"type": "tool_removal", "tool": {"type": "tool_reference", "name": "noop"}}
    with pytest.raises(anthropic.BadRequestError) as caught:
        _send(ant, [{"role": "user", "content": [removal]}])
    assert "messages.0.content.0.type" in str(caught.value.api_message)


def test_clear_at_on_a_user_message_is_a_400(ant: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        _send(ant, [{**USER, "clear_at": "never"}])
    assert str(caught.value.api_message).startswith("messages.0.clear_at:")
