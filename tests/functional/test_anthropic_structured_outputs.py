"""Anthropic structured outputs through the SDK: both places a format can be named.

``client.messages.parse`` sends ``output_config.format``; older clients and LiteLLM's
``anthropic/`` provider send the top-level ``output_format`` of the
``structured-outputs-2025-11-13`` beta (the 2.16 SDK has no such parameter, so it goes in
``extra_body``). Either way the reply's text must be JSON valid against the schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import jsonschema
import pytest
from pydantic import BaseModel, ConfigDict, Field

from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig

MODEL = "claude-haiku-4-5-20251001"
# Any: the same list goes to messages.create and beta.messages.create, typed apart.
ASK: Any = [{"role": "user", "content": "Describe a city as JSON."}]
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 2},
        "population": {"type": "integer", "minimum": 1},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "kind": {"type": "string", "enum": ["city", "town"]},
    },
    "required": ["name", "population", "tags", "kind"],
    "additionalProperties": False,
}
FORMAT: Any = {"type": "json_schema", "schema": SCHEMA}


class City(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2)
    population: int = Field(ge=1)


@pytest.fixture(scope="module")
def ant() -> Iterator[anthropic.Anthropic]:
    with (
        BackgroundServer(ServerConfig(port=0)) as running,
        anthropic.Anthropic(base_url=running.url, api_key="sk-test", max_retries=0) as client,
    ):
        yield client


def _only_text(content: list[Any]) -> str:
    assert [block.type for block in content] == ["text"]
    text = content[0].text
    assert isinstance(text, str)
    return text


def test_top_level_output_format_gives_schema_valid_json(ant: anthropic.Anthropic) -> None:
    message = ant.beta.messages.create(
        model=MODEL,
        max_tokens=512,
        messages=ASK,
        betas=["structured-outputs-2025-11-13"],
        extra_body={"output_format": FORMAT},
    )
    jsonschema.validate(json.loads(_only_text(message.content)), SCHEMA)


def test_output_config_format_gives_schema_valid_json(ant: anthropic.Anthropic) -> None:
    message = ant.messages.create(
        model=MODEL, max_tokens=512, messages=ASK, output_config={"format": FORMAT}
    )
    jsonschema.validate(json.loads(_only_text(message.content)), SCHEMA)


def test_streamed_output_format_is_schema_valid_too(ant: anthropic.Anthropic) -> None:
    with ant.beta.messages.stream(
        model=MODEL, max_tokens=512, messages=ASK, extra_body={"output_format": FORMAT}
    ) as stream:
        final = stream.get_final_message()
    jsonschema.validate(json.loads(_only_text(final.content)), SCHEMA)


def test_parse_returns_the_model(ant: anthropic.Anthropic) -> None:
    parsed = ant.messages.parse(model=MODEL, max_tokens=512, messages=ASK, output_format=City)
    assert isinstance(parsed.parsed_output, City)
    jsonschema.validate(json.loads(_only_text(parsed.content)), City.model_json_schema())


def test_both_places_at_once_is_a_400(ant: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        ant.messages.create(
            model=MODEL,
            max_tokens=512,
            messages=ASK,
            output_config={"format": FORMAT},
            extra_body={"output_format": FORMAT},
        )
    assert "Both output_format and output_config.format" in str(caught.value.api_message)


def test_a_malformed_output_format_is_a_400_not_a_500(ant: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        ant.messages.create(
            model=MODEL,
            max_tokens=512,
            messages=ASK,
            extra_body={"output_format": {"type": "json_schema"}},
        )
    assert "output_format" in str(caught.value.api_message)
