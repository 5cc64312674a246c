"""The Responses API through the official ``openai`` SDK: create, stream, parse, the
stored-response routes, validation in the API's words and scripted stream failures."""

from __future__ import annotations

import http.client
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai.types.responses import ResponseFunctionToolCall
from pydantic import BaseModel

from mockgw.background import BackgroundServer
from tests.conftest import API_KEY
from tests.functional.scenario_support import serving, write_scenarios

MODEL = "gpt-4o"
TOOL: dict[str, Any] = {
    "type": "function",
    "name": "get_weather",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
TEXT = "alpha beta gamma delta epsilon zeta eta theta"
RULES = f"""
scenario: responses-failures
rules:
  - name: error-partial
    when: {{last_user: error-partial}}
    reply: {{text: "{TEXT}", stream: {{fail: {{after_events: 6}}}}}}
  - name: disconnect
    when: {{last_user: disconnect}}
    reply: {{text: "{TEXT}", stream: {{fail: {{after_events: 6, with: disconnect}}}}}}
  - name: truncate
    when: {{last_user: truncate}}
    reply: {{text: "{TEXT}", stream: {{fail: {{after_events: 6, with: truncate}}}}}}
  - name: no-terminator
    when: {{last_user: no-terminator}}
    reply: {{text: "{TEXT}", stream: {{fail: {{after_events: 100, with: no_terminator}}}}}}
  - name: http-error
    when: {{last_user: http-error}}
    reply: {{error: overloaded}}
  - name: think
    when: {{last_user: think}}
    reply: {{thinking: "Let me see.", text: "Done."}}
"""


@pytest.fixture(scope="module")
def failures_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    directory = write_scenarios(tmp_path_factory.mktemp("rf"), {"f.yaml": RULES})
    with serving(directory, "responses-failures") as server:
        yield server


def _client(server: BackgroundServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key=API_KEY, max_retries=0)


def test_create_answers_text_with_usage(oai: openai.OpenAI) -> None:
    response = oai.responses.create(model=MODEL, input="Hello", instructions="Be terse.")
    assert response.object == "response"
    assert response.id.startswith("resp_")
    assert response.status == "completed"
    assert response.output_text
    (message,) = response.output
    assert message.type == "message"
    assert message.content[0].type == "output_text"
    assert message.content[0].annotations == []
    assert response.usage is not None
    assert response.usage.total_tokens == (
        response.usage.input_tokens + response.usage.output_tokens
    )
    assert response.instructions == "Be terse."


def test_a_tool_loop_continued_by_previous_response_id(oai: openai.OpenAI) -> None:
    ask: dict[str, Any] = {"model": MODEL, "input": "Weather in Paris?", "tools": [TOOL]}
    first = oai.responses.create(**ask, tool_choice="required")
    calls = [item for item in first.output if isinstance(item, ResponseFunctionToolCall)]
    assert len(calls) == 1
    assert calls[0].call_id.startswith("call_")
    assert isinstance(json.loads(calls[0].arguments), dict)
    output = {"type": "function_call_output", "call_id": calls[0].call_id, "output": "21C"}
    history = [
        {"role": "user", "content": "Weather in Paris?"},
        calls[0].model_dump(exclude_none=True),
        output,
    ]
    # The whole history sent again, and only the new turn after previous_response_id,
    # are one conversation: the same answer and the same input tokens.
    whole_args: dict[str, Any] = {"model": MODEL, "tools": [TOOL], "input": history}
    whole = oai.responses.create(**whole_args)
    turn: dict[str, Any] = {
        "model": MODEL,
        "tools": [TOOL],
        "input": [output],
        "previous_response_id": first.id,
    }
    continued = oai.responses.create(**turn)
    assert continued.previous_response_id == first.id
    assert continued.output_text == whole.output_text
    assert continued.usage is not None
    assert whole.usage is not None
    assert continued.usage.input_tokens == whole.usage.input_tokens
    # A response may be continued more than once, each continue branching from it.
    again = oai.responses.create(**turn)
    assert again.output_text == continued.output_text


def test_an_output_without_its_call_is_the_apis_400(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        oai.responses.create(
            model=MODEL,
            input=[{"type": "function_call_output", "call_id": "call_x", "output": "1"}],
        )
    assert caught.value.body == {
        "message": "No tool call found for function call output with call_id call_x.",
        "type": "invalid_request_error",
        "param": "input",
        "code": None,
    }


@pytest.mark.parametrize(
    ("extra", "param", "code"),
    [
        ({"input": [{"role": "tool", "content": "x"}]}, "input[0].role", "invalid_value"),
        (
            {"input": [{"role": "assistant", "content": [{"type": "input_text", "text": "x"}]}]},
            "input[0].content[0].type",
            "invalid_value",
        ),
        ({"input": 5}, "input", "invalid_type"),
        ({"max_output_tokens": 5}, "max_output_tokens", "integer_below_min_value"),
        ({"temperature": 3}, "temperature", "decimal_above_max_value"),
        ({"text": {"format": {"type": "json_schema", "schema": {}}}}, "text.format.name",
         "missing_required_parameter"),
        ({"reasoning": {"effort": "huge"}}, "reasoning.effort", "invalid_value"),
        ({"include": ["nope"]}, "include[0]", "invalid_value"),
        ({"tool_choice": {"type": "function", "name": "absent"}}, "tool_choice", None),
        ({"text": {"format": {"type": "json_object"}}}, "input", None),
    ],
)  # fmt: skip
def test_bad_requests_name_their_param(
    oai: openai.OpenAI, extra: dict[str, Any], param: str, code: str | None
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        oai.responses.create(model=MODEL, input="hi", extra_body=extra)
    error = caught.value.body
    assert isinstance(error, dict)
    assert (error["param"], error["code"]) == (param, code)


def test_the_stream_is_the_response_in_events(oai: openai.OpenAI) -> None:
    args: dict[str, Any] = {"model": MODEL, "input": "Tell me", "tools": [TOOL]}
    plain = oai.responses.create(**args)
    with oai.responses.stream(**args) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert final.output_text == plain.output_text
    assert final.usage == plain.usage
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    raw = oai.responses.create(**args, stream=True)
    numbers = [event.sequence_number for event in raw]
    assert numbers == list(range(len(numbers)))


def test_streamed_tool_calls_and_reasoning(failures_server: BackgroundServer) -> None:
    client = _client(failures_server)
    with client.responses.stream(
        model=MODEL, input="think", reasoning={"effort": "low", "summary": "auto"}
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert [item.type for item in final.output] == ["reasoning", "message"]
    assert final.output[0].type == "reasoning"
    assert final.output[0].summary[0].text == "Let me see."
    assert "response.reasoning_summary_text.delta" in kinds
    plain = client.responses.create(
        model=MODEL, input="think", reasoning={"effort": "low", "summary": "auto"}
    )
    assert plain.output_text == final.output_text == "Done."


def test_max_output_tokens_makes_it_incomplete(oai: openai.OpenAI) -> None:
    response = oai.responses.create(model=MODEL, input="Write at length", max_output_tokens=16)
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.usage is not None
    assert response.usage.output_tokens == 16
    with oai.responses.stream(model=MODEL, input="Write at length", max_output_tokens=16) as s:
        kinds = [event.type for event in s]
    assert kinds[-1] == "response.incomplete"


class Weather(BaseModel):
    city: str
    celsius: int


def test_parse_gives_a_model_instance(oai: openai.OpenAI) -> None:
    parsed = oai.responses.parse(model=MODEL, input="Weather?", text_format=Weather)
    assert isinstance(parsed.output_parsed, Weather)
    assert parsed.text is not None
    assert parsed.text.format is not None
    assert parsed.text.format.type == "json_schema"


def test_stored_routes(oai: openai.OpenAI) -> None:
    first = oai.responses.create(model=MODEL, input="one")
    second = oai.responses.create(model=MODEL, input="two", previous_response_id=first.id)
    assert oai.responses.retrieve(second.id).output_text == second.output_text
    page = oai.responses.input_items.list(second.id, limit=2)
    # Newest first by default: the new message, then the stored reply.
    assert [item.type for item in page.data] == ["message", "message"]
    assert page.has_more is True
    rest = oai.responses.input_items.list(second.id, after=page.data[-1].id)
    assert [item.type for item in rest.data] == ["message"]
    assert rest.has_more is False
    counted = oai.responses.input_tokens.count(
        model=MODEL, input="two", previous_response_id=first.id
    )
    assert second.usage is not None
    assert counted.input_tokens == second.usage.input_tokens
    oai.responses.delete(second.id)
    with pytest.raises(openai.NotFoundError) as caught:
        oai.responses.retrieve(second.id)
    assert caught.value.body == {
        "message": f"Response with id '{second.id}' not found.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    with pytest.raises(openai.NotFoundError):
        oai.responses.delete(second.id)
    with pytest.raises(openai.BadRequestError) as refused:
        oai.responses.create(model=MODEL, input="x", previous_response_id=second.id)
    assert isinstance(refused.value.body, dict)
    assert refused.value.body["code"] == "previous_response_not_found"
    with pytest.raises(openai.BadRequestError) as cancelled:
        oai.responses.cancel(first.id)
    assert isinstance(cancelled.value.body, dict)
    assert cancelled.value.body["message"] == "Cannot cancel a synchronous response."


def test_store_false_keeps_nothing(oai: openai.OpenAI) -> None:
    response = oai.responses.create(model=MODEL, input="one", store=False)
    assert response.model_dump()["store"] is False
    with pytest.raises(openai.NotFoundError):
        oai.responses.retrieve(response.id)


def test_compact(oai: openai.OpenAI) -> None:
    first = oai.responses.create(model=MODEL, input="one")
    compacted = oai.responses.compact(model=MODEL, previous_response_id=first.id, input="two")
    assert compacted.object == "response.compaction"
    assert [item.type for item in compacted.output] == ["message", "message", "compaction"]


def test_a_midstream_error_raises_after_partial_text(failures_server: BackgroundServer) -> None:
    parts: list[str] = []
    stream = _client(failures_server).responses.create(
        model=MODEL, input="error-partial", stream=True
    )

    def read() -> None:
        for event in stream:
            if event.type == "response.output_text.delta":
                parts.append(event.delta)

    with pytest.raises(openai.APIError) as caught:
        read()
    assert caught.value.message == "The server is overloaded or not ready yet."
    # created, in_progress, item added, part added, then two words.
    assert "".join(parts) == "alpha beta"


def _post_stream(server: BackgroundServer, text: str) -> str:
    """A streamed request's body as sent, however the stream ended."""
    body = json.dumps({"model": MODEL, "input": text, "stream": True}).encode()
    request = urllib.request.Request(
        server.url + "/v1/responses",
        data=body,
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as answer:
        try:
            return str(answer.read().decode())
        except http.client.IncompleteRead as cut:
            return str(cut.partial.decode())


def test_the_error_event_continues_the_numbering(failures_server: BackgroundServer) -> None:
    text = _post_stream(failures_server, "error-partial")
    payloads = [json.loads(line[6:]) for line in text.split("\n") if line.startswith("data: ")]
    assert [p["sequence_number"] for p in payloads] == list(range(8))
    error, failed = payloads[-2:]
    assert error["type"] == "error"
    assert error["error"]["type"] == "server_error"
    assert failed["type"] == "response.failed"
    assert failed["response"]["status"] == "failed"
    assert failed["response"]["id"] == payloads[0]["response"]["id"]


def test_faults_break_the_stream(failures_server: BackgroundServer) -> None:
    client = _client(failures_server)
    with (
        pytest.raises(openai.APIConnectionError),
        client.responses.stream(model=MODEL, input="disconnect") as stream,
    ):
        stream.get_final_response()
    with (
        pytest.raises(RuntimeError, match=r"response\.completed"),
        client.responses.stream(model=MODEL, input="no-terminator") as cut,
    ):
        cut.get_final_response()
    truncated = _post_stream(failures_server, "truncate")
    assert "response.completed" not in truncated
    with pytest.raises(ValueError, match=r"Expecting|Unterminated"):
        json.loads(truncated.rstrip().split("\n")[-1][6:])
    with pytest.raises(openai.InternalServerError):
        client.responses.create(model=MODEL, input="http-error", stream=True)
