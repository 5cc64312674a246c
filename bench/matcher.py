"""The matcher figure: per-request cost of rule selection with 1,000 rules against 10.

Measured in-process on the engine alone (no HTTP), so the figure isolates matching.
Every rule has the realistic shape of a text rule (api, stream, last-user regex and
a tools condition) and only the last one matches, the worst case for an ordered scan.
"""

from __future__ import annotations

import time

from mockgw.core.chat import ChatRequest, Message
from mockgw.scenarios.engine import Engine
from mockgw.scenarios.loader import load_text

REQUEST = ChatRequest(
    api="openai",
    model="gpt-4o",
    messages=(Message("user", "Tell me about the weather in Paris today."),),
)


def _scenario(rules: int) -> str:
    lines = ["scenario: bench", "rules:"]
    for i in range(rules - 1):
        lines += [
            f"  - name: rule-{i}",
            "    when:",
            "      api: openai",
            "      stream: false",
            f"      last_user: {{regex: 'topic-{i}\\b', ignore_case: true}}",
            "    reply: {text: never}",
        ]
    lines += [
        "  - name: last",
        "    when: {last_user: {contains: weather}}",
        "    reply: {text: ok}",
    ]
    return "\n".join(lines)


def per_request_us(rules: int, seconds: float) -> float:
    engine = Engine(load_text(_scenario(rules)), default="bench")
    for _ in range(50):  # warm-up
        engine.plan(REQUEST, {}, {})
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        engine.plan(REQUEST, {}, {})
        count += 1
    return (time.perf_counter() - started) / count * 1e6


def print_matcher_figure(seconds: float) -> None:
    small = per_request_us(10, seconds)
    large = per_request_us(1000, seconds)
    print("\nmatcher (engine only, the matching rule last)")
    print(f"  10 rules     {small:9.1f} us/request")
    print(f"  1,000 rules  {large:9.1f} us/request   ({large / small:.1f}x the cost of 10)")
