"""The SDK helpers ``make drift`` checks against mockgw: streams, ``parse``, the tool runner and
the Responses and embeddings calls.

The generated tests call the raw endpoints; these helpers are hand-written in the SDKs and
read the responses more closely (they accumulate stream events, validate JSON against a
pydantic model, run a tool loop). Run by tools/drift.py in its venv as
``python tools/drift_helpers.py BASE_URL``; prints one JSON outcome a line. A check fails on
a wrong result or an SDK status error; any other exception is an error (the check or the SDK
changed shape).
"""

from __future__ import annotations

import base64
import json
import struct
import sys
from collections.abc import Callable

import anthropic
import openai
import pydantic
from anthropic import beta_tool

OPENAI_MODEL = "gpt-4o-mini"
EMBEDDING_MODEL = "text-embedding-3-small"
ANTHROPIC_MODEL = "claude-sonnet-4-5-20250929"
# The tool runner's conversation needs a tool call and then an answer from its result, which
# mockgw makes only when a scenario says so: the shipped library's `weather` does exactly that.
WEATHER = "/s/weather"


class Weather(pydantic.BaseModel):
    """A structured answer for the ``parse`` helpers."""

    city: str
    temperature: float


def openai_stream(base: str) -> None:
    client = openai.OpenAI(base_url=base + "/v1", api_key="drift")
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "user", "content": "Say hello."}
    ]
    with client.chat.completions.stream(model=OPENAI_MODEL, messages=messages) as stream:
        deltas = [event.delta for event in stream if event.type == "content.delta"]
        final = stream.get_final_completion()
    assert deltas, "no content.delta event"
    assert final.choices[0].message.content == "".join(deltas)


def openai_parse(base: str) -> None:
    client = openai.OpenAI(base_url=base + "/v1", api_key="drift")
    completion = client.chat.completions.parse(
        model=OPENAI_MODEL,
        messages=[{"role": "user", "content": "The weather in Paris?"}],
        response_format=Weather,
    )
    assert isinstance(completion.choices[0].message.parsed, Weather)


def openai_parse_tool(base: str) -> None:
    client = openai.OpenAI(base_url=base + "/v1", api_key="drift")
    completion = client.chat.completions.parse(
        model=OPENAI_MODEL,
        messages=[{"role": "user", "content": "The weather in Paris?"}],
        tools=[openai.pydantic_function_tool(Weather)],
        tool_choice="required",
    )
    calls = completion.choices[0].message.tool_calls or []
    assert calls, "no tool call"
    assert calls[0].type == "function"
    assert isinstance(calls[0].function.parsed_arguments, Weather)


def openai_responses_create(base: str) -> None:
    client = openai.OpenAI(base_url=base + "/v1", api_key="drift")
    response = client.responses.create(model=OPENAI_MODEL, input="Say hello.")
    assert response.status == "completed", f"status: {response.status}"
    # output_text is the SDK's own join of every output_text part of every message item.
    assert response.output_text, "no output text"


def openai_responses_stream(base: str) -> None:
    client = openai.OpenAI(base_url=base + "/v1", api_key="drift")
    with client.responses.stream(model=OPENAI_MODEL, input="Say hello.") as stream:
        deltas = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert deltas, "no response.output_text.delta event"
    assert final.output_text == "".join(deltas)


def openai_responses_parse(base: str) -> None:
    client = openai.OpenAI(base_url=base + "/v1", api_key="drift")
    response = client.responses.parse(
        model=OPENAI_MODEL, input="The weather in Paris?", text_format=Weather
    )
    assert isinstance(response.output_parsed, Weather)


def openai_embeddings(base: str) -> None:
    client = openai.OpenAI(base_url=base + "/v1", api_key="drift")
    floats = client.embeddings.create(
        model=EMBEDDING_MODEL, input=["one", "two"], encoding_format="float"
    )
    assert [item.index for item in floats.data] == [0, 1]
    vector = floats.data[0].embedding
    assert vector, "empty embedding"
    assert all(isinstance(x, float) for x in vector)
    # base64 is packed little-endian float32; asked of the raw response, since the SDK's
    # create() asks for base64 by default and decodes it, which would hide the encoding.
    raw = client.embeddings.with_raw_response.create(
        model=EMBEDDING_MODEL, input="one", encoding_format="base64"
    )
    packed = json.loads(raw.text)["data"][0]["embedding"]
    assert isinstance(packed, str), f"base64 embedding is {type(packed).__name__}"
    data = base64.b64decode(packed)
    decoded = struct.unpack(f"<{len(data) // 4}f", data)
    assert len(decoded) == len(vector), "base64 and float embeddings differ in length"
    # No encoding_format: the SDK asks for base64 itself and decodes it into floats.
    default = client.embeddings.create(model=EMBEDDING_MODEL, input="one")
    assert len(default.data[0].embedding) == len(vector), "the SDK's decoded base64 differs"


def anthropic_stream(base: str) -> None:
    client = anthropic.Anthropic(base_url=base, api_key="drift")
    with client.messages.stream(
        model=ANTHROPIC_MODEL, max_tokens=200, messages=[{"role": "user", "content": "Hello"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text, "no text delta"
    blocks = [block.text for block in final.content if block.type == "text"]
    assert "".join(blocks) == text


def anthropic_parse(base: str) -> None:
    client = anthropic.Anthropic(base_url=base, api_key="drift")
    message = client.messages.parse(
        model=ANTHROPIC_MODEL,
        max_tokens=400,
        messages=[{"role": "user", "content": "The weather in Paris?"}],
        output_format=Weather,
    )
    assert isinstance(message.parsed_output, Weather)


def _tool_runner(base: str, *, threaded: bool) -> None:
    calls: list[str] = []

    @beta_tool
    def get_weather(location: str, unit: str = "celsius") -> str:
        """The current weather in a location."""
        calls.append(location)
        return json.dumps({"location": location, "temperature": 21, "unit": unit})

    client = anthropic.Anthropic(base_url=base + WEATHER, api_key="drift")
    question: list[anthropic.types.beta.BetaMessageParam] = [
        {"role": "user", "content": "What is the weather in Boston?"}
    ]
    if threaded:
        # The runner's default: the server keeps the conversation (message threads).
        runner = client.beta.messages.tool_runner(
            model=ANTHROPIC_MODEL, max_tokens=400, tools=[get_weather], messages=question
        )
    else:
        runner = client.beta.messages.tool_runner(
            model=ANTHROPIC_MODEL,
            max_tokens=400,
            tools=[get_weather],
            messages=question,
            thread=False,
        )
    final = runner.until_done()
    assert calls == ["Boston, MA"], f"tool calls: {calls}"
    text = "".join(block.text for block in final.content if block.type == "text")
    assert "21 degrees" in text, f"final answer: {text!r}"


def anthropic_tool_runner(base: str) -> None:
    _tool_runner(base, threaded=True)


def anthropic_tool_runner_unthreaded(base: str) -> None:
    _tool_runner(base, threaded=False)


CHECKS: tuple[Callable[[str], None], ...] = (
    openai_stream,
    openai_parse,
    openai_parse_tool,
    openai_responses_create,
    openai_responses_stream,
    openai_responses_parse,
    openai_embeddings,
    anthropic_stream,
    anthropic_parse,
    anthropic_tool_runner,
    anthropic_tool_runner_unthreaded,
)


def main(base: str) -> None:
    for check in CHECKS:
        result, detail = "passed", ""
        try:
            check(base)
        except (AssertionError, openai.APIError, anthropic.APIError) as exc:
            result, detail = "failed", f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
        except Exception as exc:  # any other exception is reported as an error, not raised
            result, detail = "error", f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
        print(json.dumps({"name": check.__name__, "result": result, "detail": detail}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
