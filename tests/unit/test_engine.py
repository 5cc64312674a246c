"""The engine's rule selection on neutral values, without a socket."""

from __future__ import annotations

import pytest

from mockgw.core.chat import ChatRequest, Message
from mockgw.scenarios.engine import Engine
from mockgw.scenarios.loader import load_text

COUNTING = """
scenario: counting
rules:
  - name: second
    when: {counter: {asked: 2}}
    increment: [asked]
    reply: {text: twice}
  - name: more
    when: {counter: {asked: {min: 2}}}
    increment: [asked]
    reply: {text: many}
  - name: first
    increment: [asked]
    reply: {text: once}
"""


@pytest.mark.parametrize("spec", ["{asked: 2}", "{asked: {equals: 2}}"])
def test_a_counter_condition_takes_a_number_or_a_range(spec: str) -> None:
    # docs/scenarios.md: `counter: {name: N or {min, max, equals}}`.
    engine = Engine(load_text(COUNTING.replace("{asked: 2}", spec)))
    request = ChatRequest(api="openai", model="gpt-4o", messages=(Message("user", "hi"),))
    rules = [engine.plan(request, {}, {}, scenario="counting", session="s").rule for _ in range(4)]
    assert rules == ["first", "first", "second", "more"]
