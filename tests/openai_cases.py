"""Request bodies for ``POST /v1/chat/completions``: malformed ones and valid ones.

A data table shared by the unit tests of the validator and by functional tests that send
the same bodies over HTTP. Each malformed case breaks one rule and records the exact
error the real OpenAI API answers with (as far as it is known). Every case fails whether
unknown fields are errors or not (``strict``), so the table suits any server mode; unknown
fields have their own tests. Kept free of test functions so any test module can import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["MALFORMED", "MODEL", "VALID_BODIES", "MalformedCase"]

MODEL = "gpt-4o"
USER: dict[str, Any] = {"role": "user", "content": "What is the weather in Paris?"}
WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
CALL: dict[str, Any] = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}
PNG_1PX = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
DATA_URL_HINT = (
    "Expected a base64-encoded data URL with an image MIME type "
    "(e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU=')"
)


@dataclass(frozen=True, slots=True)
class MalformedCase:
    id: str
    body: dict[str, Any]
    status: int
    param: str | None
    code: str | None
    message: str


def _body(**fields: Any) -> dict[str, Any]:
    """A valid one-message request, with ``fields`` added or replaced."""
    return {"model": MODEL, "messages": [USER], **fields}


def _user(*parts: dict[str, Any]) -> dict[str, Any]:
    return _body(messages=[{"role": "user", "content": list(parts)}])


def _image(url: str) -> dict[str, Any]:
    return _user(
        {"type": "text", "text": "Describe"}, {"type": "image_url", "image_url": {"url": url}}
    )


def _case(
    id: str, body: dict[str, Any], param: str | None, code: str | None, message: str
) -> MalformedCase:
    return MalformedCase(id, body, 400, param, code, message)


_MISSING = "missing_required_parameter"

MALFORMED: list[MalformedCase] = [
    # --- required fields and top-level types
    _case(
        "missing-model",
        {"messages": [USER]},
        "model",
        _MISSING,
        "Missing required parameter: 'model'.",
    ),
    _case(
        "missing-messages",
        {"model": MODEL},
        "messages",
        _MISSING,
        "Missing required parameter: 'messages'.",
    ),
    _case(
        "model-not-string",
        _body(model=4),
        "model",
        "invalid_type",
        "Invalid type for 'model': expected a string, but got an integer instead.",
    ),
    _case(
        "messages-empty",
        _body(messages=[]),
        "messages",
        "empty_array",
        "Invalid 'messages': empty array. Expected an array with minimum length 1, but got "
        "an empty array instead.",
    ),
    # --- message shape
    _case(
        "message-not-object",
        _body(messages=["hello"]),
        "messages[0]",
        "invalid_type",
        "Invalid type for 'messages[0]': expected an object, but got a string instead.",
    ),
    _case(
        "message-missing-role",
        _body(messages=[{"content": "hi"}]),
        "messages[0].role",
        _MISSING,
        "Missing required parameter: 'messages[0].role'.",
    ),
    _case(
        "message-invalid-role",
        _body(messages=[{"role": "human", "content": "hi"}]),
        "messages[0].role",
        "invalid_value",
        "Invalid value: 'human'. Supported values are: 'system', 'assistant', 'user', "
        "'function', 'tool', and 'developer'.",
    ),
    _case(
        "content-integer",
        _body(messages=[{"role": "user", "content": 42}]),
        "messages[0].content",
        "invalid_type",
        "Invalid type for 'messages[0].content': expected one of a string or array of "
        "objects, but got an integer instead.",
    ),
    _case(
        "content-null",
        _body(messages=[{"role": "user", "content": None}]),
        "messages[0].content",
        None,
        "Invalid value for 'content': expected a string, got null.",
    ),
    _case(
        "system-content-empty-array",
        _body(messages=[{"role": "system", "content": []}, USER]),
        "messages[0].content",
        "empty_array",
        "Invalid 'messages[0].content': empty array. Expected an array with minimum length 1, "
        "but got an empty array instead.",
    ),
    _case(
        "content-part-invalid-type",
        _user({"type": "video", "video": "x"}),
        "messages[0].content[0].type",
        "invalid_value",
        "Invalid value: 'video'. Supported values are: 'text', 'image_url', 'input_audio', "
        "and 'file'.",
    ),
    _case(
        "text-part-missing-text",
        _user({"type": "text"}),
        "messages[0].content[0].text",
        _MISSING,
        "Missing required parameter: 'messages[0].content[0].text'.",
    ),
    _case(
        "image-detail-invalid",
        _user({"type": "image_url", "image_url": {"url": "https://x.test/a.png", "detail": "max"}}),
        "messages[0].content[0].image_url.detail",
        "invalid_value",
        "Invalid value: 'max'. Supported values are: 'auto', 'low', 'high', and 'original'.",
    ),
    _case(
        "input-audio-format-invalid",
        _user({"type": "input_audio", "input_audio": {"data": "AAAA", "format": "ogg"}}),
        "messages[0].content[0].input_audio.format",
        "invalid_value",
        "Invalid value: 'ogg'. Supported values are: 'wav' and 'mp3'.",
    ),
    # --- image URLs
    _case(
        "image-unsupported-mime",
        _image("data:image/tiff;base64,AAAA"),
        "messages[0].content[1].image_url.url",
        "invalid_value",
        f"Invalid 'messages[0].content[1].image_url.url': {DATA_URL_HINT}, but got "
        "unsupported MIME type 'image/tiff'.",
    ),
    _case(
        "image-bad-base64",
        _image("data:image/png;base64,not*base64!"),
        "messages[0].content[1].image_url.url",
        "invalid_image_format",
        f"Invalid 'messages[0].content[1].image_url.url': {DATA_URL_HINT}, but got invalid "
        "base64-encoded bytes.",
    ),
    _case(
        "image-other-scheme",
        _image("ftp://example.com/cat.png"),
        "messages[0].content[1].image_url.url",
        "invalid_value",
        f"Invalid image URL: 'messages[0].content[1].image_url.url'. {DATA_URL_HINT}, but got "
        "a value without the 'data:' prefix.",
    ),
    # --- assistant messages and tool-call ordering
    _case(
        "assistant-content-null-without-tool-calls",
        _body(messages=[USER, {"role": "assistant", "content": None}, USER]),
        "messages[1].content",
        None,
        "Invalid value for 'content': expected a string, got null.",
    ),
    _case(
        "assistant-tool-calls-empty",
        _body(messages=[USER, {"role": "assistant", "content": "x", "tool_calls": []}]),
        "messages[1].tool_calls",
        "empty_array",
        "Invalid 'messages[1].tool_calls': empty array. Expected an array with minimum "
        "length 1, but got an empty array instead.",
    ),
    _case(
        "tool-call-arguments-object",
        _body(
            messages=[
                USER,
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            **CALL,
                            "function": {"name": "get_weather", "arguments": {"city": "Paris"}},
                        }
                    ],
                },
            ]
        ),
        "messages[1].tool_calls[0].function.arguments",
        "invalid_type",
        "Invalid type for 'messages[1].tool_calls[0].function.arguments': expected a string, "
        "but got an object instead.",
    ),
    _case(
        "tool-message-missing-tool-call-id",
        _body(messages=[USER, {"role": "tool", "content": "18C"}]),
        "messages[1].tool_call_id",
        None,
        "Missing parameter 'tool_call_id': messages with role 'tool' must have a 'tool_call_id'.",
    ),
    _case(
        "tool-message-without-tool-calls",
        _body(
            messages=[
                {"role": "system", "content": "Be brief."},
                USER,
                {"role": "assistant", "content": "Let me check."},
                {"role": "tool", "content": "18C", "tool_call_id": "call_1"},
            ]
        ),
        "messages[3].role",
        None,
        "Invalid parameter: messages with role 'tool' must be a response to a preceeding "
        "message with 'tool_calls'.",
    ),
    _case(
        "tool-call-id-not-found",
        _body(
            messages=[
                USER,
                {"role": "assistant", "tool_calls": [CALL]},
                {"role": "tool", "content": "18C", "tool_call_id": "call_9"},
            ]
        ),
        "messages[2].tool_call_id",
        None,
        "Invalid parameter: 'tool_call_id' of 'call_9' not found in 'tool_calls' of previous "
        "message.",
    ),
    _case(
        "tool-calls-unanswered",
        _body(
            messages=[
                USER,
                {"role": "assistant", "tool_calls": [CALL, {**CALL, "id": "call_2"}]},
                {"role": "tool", "content": "18C", "tool_call_id": "call_1"},
                USER,
            ]
        ),
        "messages[1].role",
        None,
        "An assistant message with 'tool_calls' must be followed by tool messages responding "
        "to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
        "call_2",
    ),
    # --- sampling and length parameters
    _case(
        "temperature-above-max",
        _body(temperature=3),
        "temperature",
        "decimal_above_max_value",
        "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3 "
        "instead.",
    ),
    _case(
        "top-p-below-min",
        _body(top_p=-0.5),
        "top_p",
        "decimal_below_min_value",
        "Invalid 'top_p': decimal below minimum value. Expected a value >= 0, but got -0.5 "
        "instead.",
    ),
    _case(
        "n-above-max",
        _body(n=129),
        "n",
        "integer_above_max_value",
        "Invalid 'n': integer above maximum value. Expected a value <= 128, but got 129 instead.",
    ),
    _case(
        "n-decimal",
        _body(n=1.5),
        "n",
        "invalid_type",
        "Invalid type for 'n': expected an integer, but got a decimal instead.",
    ),
    _case(
        "max-tokens-zero",
        _body(max_tokens=0),
        "max_tokens",
        "integer_below_min_value",
        "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 "
        "instead.",
    ),
    _case(
        "frequency-penalty-string",
        _body(frequency_penalty="high"),
        "frequency_penalty",
        "invalid_type",
        "Invalid type for 'frequency_penalty': expected a number, but got a string instead.",
    ),
    _case(
        "logit-bias-out-of-range",
        _body(logit_bias={"50256": -101}),
        "logit_bias.50256",
        "integer_below_min_value",
        "Invalid 'logit_bias.50256': integer below minimum value. Expected a value >= -100, "
        "but got -101 instead.",
    ),
    _case(
        "top-logprobs-above-max",
        _body(logprobs=True, top_logprobs=21),
        "top_logprobs",
        "integer_above_max_value",
        "Invalid 'top_logprobs': integer above maximum value. Expected a value <= 20, but got "
        "21 instead.",
    ),
    _case(
        "top-logprobs-without-logprobs",
        _body(top_logprobs=3),
        "top_logprobs",
        None,
        "Invalid value for 'top_logprobs': 'top_logprobs' is only allowed when 'logprobs' is true.",
    ),
    _case(
        "stop-too-many",
        _body(stop=["a", "b", "c", "d", "e"]),
        "stop",
        "array_above_max_length",
        "Invalid 'stop': array too long. Expected an array with maximum length 4, but got an "
        "array with length 5 instead.",
    ),
    _case(
        "stop-integer",
        _body(stop=7),
        "stop",
        "invalid_type",
        "Invalid type for 'stop': expected one of a string or array of strings, but got an "
        "integer instead.",
    ),
    # --- identification and metadata
    _case(
        "metadata-too-many",
        _body(metadata={f"k{i}": "v" for i in range(17)}),
        "metadata",
        "object_above_max_properties",
        "Invalid 'metadata': too many properties. Expected an object with at most 16 "
        "properties, but got an object with 17 properties instead.",
    ),
    _case(
        "metadata-value-too-long",
        _body(metadata={"note": "x" * 513}),
        "metadata.note",
        "string_above_max_length",
        "Invalid 'metadata.note': string too long. Expected a string with maximum length 512, "
        "but got a string with length 513 instead.",
    ),
    _case(
        "safety-identifier-too-long",
        _body(safety_identifier="u" * 129),
        "safety_identifier",
        "string_above_max_length",
        "Invalid 'safety_identifier': string too long. Expected a string with maximum length "
        "128, but got a string with length 129 instead.",
    ),
    # --- tools
    _case(
        "tool-name-too-long",
        _body(tools=[{"type": "function", "function": {"name": "f" * 70}}]),
        "tools[0].function.name",
        "string_above_max_length",
        "Invalid 'tools[0].function.name': string too long. Expected a string with maximum "
        "length 64, but got a string with length 70 instead.",
    ),
    _case(
        "tool-name-pattern",
        _body(tools=[{"type": "function", "function": {"name": "get weather"}}]),
        "tools[0].function.name",
        "invalid_value",
        "Invalid 'tools[0].function.name': string does not match pattern. Expected a string "
        "that matches the pattern '^[a-zA-Z0-9_-]+$'.",
    ),
    _case(
        "tool-missing-function",
        _body(tools=[{"type": "function"}]),
        "tools[0].function",
        _MISSING,
        "Missing required parameter: 'tools[0].function'.",
    ),
    _case(
        "tool-type-invalid",
        _body(tools=[{"type": "retrieval"}]),
        "tools[0].type",
        "invalid_value",
        "Invalid value: 'retrieval'. Supported values are: 'function' and 'custom'.",
    ),
    _case(
        "tool-parameters-not-object",
        _body(
            tools=[
                {"type": "function", "function": {"name": "echo", "parameters": {"type": "string"}}}
            ]
        ),
        "tools[0].function.parameters",
        "invalid_function_parameters",
        "Invalid schema for function 'echo': schema must be a JSON Schema of 'type: "
        '"object"\', got \'type: "string"\'.',
    ),
    _case(
        "tool-choice-without-tools",
        _body(tool_choice="auto"),
        "tool_choice",
        None,
        "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are "
        "specified.",
    ),
    _case(
        "parallel-tool-calls-without-tools",
        _body(parallel_tool_calls=False),
        "parallel_tool_calls",
        None,
        "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when "
        "'tools' are specified.",
    ),
    _case(
        "tool-choice-invalid-string",
        _body(tools=[WEATHER_TOOL], tool_choice="any"),
        "tool_choice",
        "invalid_value",
        "Invalid value: 'any'. Supported values are: 'none', 'auto', and 'required'.",
    ),
    _case(
        "tool-choice-unknown-function",
        _body(
            tools=[WEATHER_TOOL], tool_choice={"type": "function", "function": {"name": "get_time"}}
        ),
        "tool_choice.function.name",
        "invalid_value",
        "Invalid value for 'tool_choice': function 'get_time' is not one of the functions in "
        "'tools'.",
    ),
    _case(
        "function-call-without-functions",
        _body(function_call="auto"),
        "function_call",
        None,
        "Invalid value for 'function_call': 'function_call' is only allowed when 'functions' "
        "are specified.",
    ),
    # --- response format, streaming and enums
    _case(
        "response-format-invalid-type",
        _body(response_format={"type": "xml"}),
        "response_format.type",
        "invalid_value",
        "Invalid value: 'xml'. Supported values are: 'text', 'json_schema', and 'json_object'.",
    ),
    _case(
        "json-schema-missing-name",
        _body(response_format={"type": "json_schema", "json_schema": {"schema": {}}}),
        "response_format.json_schema.name",
        _MISSING,
        "Missing required parameter: 'response_format.json_schema.name'.",
    ),
    _case(
        "json-schema-name-pattern",
        _body(response_format={"type": "json_schema", "json_schema": {"name": "my schema"}}),
        "response_format.json_schema.name",
        "invalid_value",
        "Invalid 'response_format.json_schema.name': string does not match pattern. Expected "
        "a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
    ),
    _case(
        "stream-options-without-stream",
        _body(stream_options={"include_usage": True}),
        "stream_options",
        None,
        "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
    ),
    _case(
        "stream-not-boolean",
        _body(stream="true"),
        "stream",
        "invalid_type",
        "Invalid type for 'stream': expected a boolean, but got a string instead.",
    ),
    _case(
        "reasoning-effort-invalid",
        _body(reasoning_effort="extreme"),
        "reasoning_effort",
        "invalid_value",
        "Invalid value: 'extreme'. Supported values are: 'none', 'minimal', 'low', 'medium', "
        "'high', 'xhigh', and 'max'.",
    ),
    _case(
        "service-tier-invalid",
        _body(service_tier="premium"),
        "service_tier",
        "invalid_value",
        "Invalid value: 'premium'. Supported values are: 'auto', 'default', 'flex', 'scale', "
        "'priority', and 'fast'.",
    ),
    _case(
        "modalities-invalid",
        _body(modalities=["text", "video"]),
        "modalities[1]",
        "invalid_value",
        "Invalid value: 'video'. Supported values are: 'text' and 'audio'.",
    ),
    # --- the 2026 request fields (openai 3.57's completion_create_params)
    _case(
        "moderation-missing-model",
        _body(moderation={"policy": {"input": {"mode": "block"}}}),
        "moderation.model",
        _MISSING,
        "Missing required parameter: 'moderation.model'.",
    ),
    _case(
        "moderation-mode-invalid",
        _body(
            moderation={"model": "omni-moderation-latest", "policy": {"input": {"mode": "warn"}}}
        ),
        "moderation.policy.input.mode",
        "invalid_value",
        "Invalid value: 'warn'. Supported values are: 'score' and 'block'.",
    ),
    _case(
        "prompt-cache-ttl-invalid",
        _body(prompt_cache_options={"mode": "explicit", "ttl": "1h"}),
        "prompt_cache_options.ttl",
        "invalid_value",
        "Invalid value: '1h'. Supported values are: '30m'.",
    ),
    _case(
        "prompt-cache-retention-invalid",
        _body(prompt_cache_retention="1d"),
        "prompt_cache_retention",
        "invalid_value",
        "Invalid value: '1d'. Supported values are: 'in_memory' and '24h'.",
    ),
    _case(
        "prompt-cache-key-not-string",
        _body(prompt_cache_key=42),
        "prompt_cache_key",
        "invalid_type",
        "Invalid type for 'prompt_cache_key': expected a string, but got an integer instead.",
    ),
    _case(
        "verbosity-invalid",
        _body(verbosity="loud"),
        "verbosity",
        "invalid_value",
        "Invalid value: 'loud'. Supported values are: 'low', 'medium', and 'high'.",
    ),
    _case(
        "web-search-location-type-invalid",
        _body(web_search_options={"user_location": {"type": "exact", "approximate": {}}}),
        "web_search_options.user_location.type",
        "invalid_value",
        "Invalid value: 'exact'. Supported values are: 'approximate'.",
    ),
    _case(
        "prediction-type-invalid",
        _body(prediction={"type": "diff", "content": "draft"}),
        "prediction.type",
        "invalid_value",
        "Invalid value: 'diff'. Supported values are: 'content'.",
    ),
    _case(
        "prompt-cache-breakpoint-ttl-invalid",
        _user(
            {
                "type": "text",
                "text": "x",
                "prompt_cache_breakpoint": {"mode": "explicit", "ttl": "1h"},
            }
        ),
        "messages[0].content[0].prompt_cache_breakpoint.ttl",
        "invalid_value",
        "Invalid value: '1h'. Supported values are: '30m' and '12h'.",
    ),
    _case(
        "audio-missing-voice",
        _body(modalities=["text", "audio"], audio={"format": "wav"}),
        "audio.voice",
        _MISSING,
        "Missing required parameter: 'audio.voice'.",
    ),
]


VALID_BODIES: list[tuple[str, dict[str, Any]]] = [
    ("minimal", _body()),
    (
        "all-roles",
        _body(
            messages=[
                {"role": "developer", "content": "Answer in French."},
                {
                    "role": "system",
                    "content": [{"type": "text", "text": "Be brief."}],
                    "name": "rules",
                },
                {"role": "user", "content": "Weather?", "name": "alice"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [CALL, {**CALL, "id": "call_2"}],
                },
                {"role": "tool", "content": "18C", "tool_call_id": "call_1"},
                {
                    "role": "tool",
                    "content": [{"type": "text", "text": "19C"}],
                    "tool_call_id": "call_2",
                },
                {"role": "assistant", "content": "It is 18C.", "refusal": None, "name": "bot"},
                {"role": "function", "content": None, "name": "get_weather"},
                USER,
            ],
            tools=[WEATHER_TOOL],
        ),
    ),
    (
        "every-user-part",
        _user(
            {"type": "text", "text": "Look", "prompt_cache_breakpoint": {"mode": "explicit"}},
            {
                "type": "image_url",
                "image_url": {"url": "https://example.com/cat.png", "detail": "original"},
            },
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_1PX}"}},
            {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
            {"type": "file", "file": {"file_data": "JVBERi0=", "filename": "a.pdf"}},
            {"type": "file", "file": {"file_id": "file-abc123"}},
        ),
    ),
    (
        "assistant-parts-and-legacy-fields",
        _body(
            messages=[
                USER,
                {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": "Hi"},
                        {"type": "refusal", "refusal": "No."},
                    ],
                },
                {
                    "role": "assistant",
                    "content": None,
                    "function_call": {"name": "get_weather", "arguments": "{}"},
                },
                {"role": "assistant", "audio": {"id": "audio_abc"}},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_c",
                            "type": "custom",
                            "custom": {"name": "sql", "input": "SELECT 1"},
                        }
                    ],
                },
                {"role": "tool", "content": "1", "tool_call_id": "call_c"},
                USER,
            ]
        ),
    ),
    (
        "tool-choice-strings",
        _body(tools=[WEATHER_TOOL], tool_choice="required", parallel_tool_calls=False),
    ),
    (
        "tool-choice-named-function",
        _body(
            tools=[WEATHER_TOOL, {"type": "function", "function": {"name": "noop"}}],
            tool_choice={"type": "function", "function": {"name": "get_weather"}},
        ),
    ),
    (
        "tool-choice-allowed-tools",
        _body(
            tools=[WEATHER_TOOL],
            tool_choice={
                "type": "allowed_tools",
                "allowed_tools": {
                    "mode": "auto",
                    "tools": [{"type": "function", "function": {"name": "get_weather"}}],
                },
            },
        ),
    ),
    (
        "custom-tools-and-named-custom-choice",
        _body(
            tools=[
                {
                    "type": "custom",
                    "custom": {"name": "sql", "description": "Run SQL", "format": {"type": "text"}},
                },
                {
                    "type": "custom",
                    "custom": {
                        "name": "calc",
                        "format": {
                            "type": "grammar",
                            "grammar": {"definition": "start: NUMBER", "syntax": "lark"},
                        },
                    },
                },
                {
                    "type": "function",
                    "function": {
                        "name": "strict_fn",
                        "strict": True,
                        "parameters": {
                            "type": "object",
                            "properties": {},
                            "additionalProperties": False,
                        },
                    },
                },
            ],
            tool_choice={"type": "custom", "custom": {"name": "sql"}},
        ),
    ),
    ("response-format-text", _body(response_format={"type": "text"})),
    ("response-format-json-object", _body(response_format={"type": "json_object"})),
    (
        "response-format-json-schema",
        _body(
            response_format={
                "type": "json_schema",
                "json_schema": {
                    "name": "weather-report_1",
                    "description": "A report",
                    "strict": True,
                    "schema": {"type": "object", "properties": {"temp": {"type": "number"}}},
                },
            }
        ),
    ),
    (
        "streaming-with-options",
        _body(stream=True, stream_options={"include_usage": True, "include_obfuscation": False}),
    ),
    (
        "sampling-bounds",
        _body(
            temperature=2,
            top_p=0,
            n=128,
            stop=["\n", "END", "###", "Q:"],
            max_tokens=1,
            max_completion_tokens=4096,
            frequency_penalty=-2,
            presence_penalty=2.0,
            logit_bias={"50256": -100, "198": 100},
            logprobs=True,
            top_logprobs=20,
            seed=-9223372036854775808,
        ),
    ),
    (
        "nullable-fields-null",
        _body(
            temperature=None,
            top_p=None,
            n=None,
            stop=None,
            max_tokens=None,
            max_completion_tokens=None,
            frequency_penalty=None,
            presence_penalty=None,
            logit_bias=None,
            logprobs=None,
            top_logprobs=None,
            seed=None,
            stream=None,
            stream_options=None,
            metadata=None,
            store=None,
            reasoning_effort=None,
            verbosity=None,
            service_tier=None,
            modalities=None,
            audio=None,
            prediction=None,
            safety_identifier=None,
            prompt_cache_key=None,
            prompt_cache_retention=None,
            moderation=None,
        ),
    ),
    (
        "newer-fields",
        _body(
            reasoning_effort="xhigh",
            verbosity="low",
            service_tier="flex",
            store=True,
            safety_identifier="s" * 128,
            prompt_cache_key="tenant-42",
            prompt_cache_retention="24h",
            prompt_cache_options={"ttl": "30m", "mode": "explicit"},
            metadata={f"k{i}": "v" * 512 for i in range(16)},
            user="user-1234",
            moderation={
                "model": "omni-moderation-latest",
                "policy": {"input": {"mode": "score"}, "output": None},
            },
        ),
    ),
    (
        "prompt-cache-breakpoints-fast-tier",
        _body(
            service_tier="fast",
            prompt_cache_options={"mode": "explicit"},
            prediction={"type": "content", "content": "draft"},
            messages=[
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "image_url",
                            "image_url": {"url": "https://example.com/a.png", "detail": "original"},
                            "prompt_cache_breakpoint": {"mode": "explicit", "ttl": "12h"},
                        },
                        {
                            "type": "file",
                            "file": {"file_id": "file-1"},
                            "prompt_cache_breakpoint": {"mode": "explicit"},
                        },
                    ],
                }
            ],
        ),
    ),
    (
        "audio-prediction-web-search",
        _body(
            modalities=["text", "audio"],
            audio={"voice": {"id": "voice_1234"}, "format": "pcm16"},
            prediction={"type": "content", "content": [{"type": "text", "text": "draft"}]},
            web_search_options={
                "search_context_size": "high",
                "user_location": {
                    "type": "approximate",
                    "approximate": {"city": "Paris", "country": "FR"},
                },
            },
        ),
    ),
    (
        "legacy-functions",
        _body(
            functions=[
                {
                    "name": "get_weather",
                    "description": "Weather",
                    "parameters": {"type": "object", "properties": {}},
                }
            ],
            function_call={"name": "get_weather"},
        ),
    ),
]
