"""What the framework client tests share: the weather tool, and offline LiteLLM.

The frameworks are imported inside the tests, not at module level: under xdist every worker
collects every module, and LiteLLM alone takes seconds to import; a lazy import is paid only
by the worker that runs the test.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

MODEL = "gpt-4o"
CLAUDE = "claude-sonnet-4-5"
# The shipped `weather` scenario asks for get_weather(location, unit) once and then answers
# "It is {temperature} degrees in {location}." from the tool result: a whole agent loop.
WEATHER = "/s/weather"
QUESTION = "What is the weather in Boston?"
ANSWER = "It is 21 degrees in Boston, MA."
WEATHER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "temperature": {"type": "number"}},
    "required": ["city", "temperature"],
    "additionalProperties": False,
}


def weather_result(location: str, unit: str = "celsius") -> str:
    """What the client-side get_weather returns: the scenario reads temperature and location."""
    return json.dumps({"location": location, "temperature": 21, "unit": unit})


def offline_litellm(monkeypatch: pytest.MonkeyPatch) -> None:
    """LiteLLM fetches its model price map at import and Anthropic beta headers per call from
    the network unless told not to; both have bundled copies."""
    monkeypatch.setenv("LITELLM_OFFLINE_MODE", "true")
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    monkeypatch.setenv("LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS", "true")
