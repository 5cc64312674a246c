"""Validation of a ``POST /v1/responses`` body, in the API's own words and ``param`` paths.

The Responses request is checked by hand rather than through a pydantic model: its input
is a list of items discriminated sometimes by ``type`` and sometimes (easy messages) by
``role`` alone, and the API names the first problem it finds with a path such as
``input[1].content[0].type``, which is simplest to produce while walking the body.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from mockgw.errors import ApiError
from mockgw.protocols.openai.validation_errors import describe_value, invalid_request, quote_list

FIELDS = frozenset(
    {
        "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls",
        "max_output_tokens", "max_tool_calls", "temperature", "top_p", "top_logprobs", "text",
        "reasoning", "metadata", "store", "previous_response_id", "include", "truncation",
        "user", "safety_identifier", "prompt_cache_key", "prompt_cache_retention",
        "service_tier", "stream", "stream_options", "background", "conversation", "prompt",
    }
)  # fmt: skip
ROLES = ("user", "assistant", "system", "developer")
ITEM_TYPES = ("message", "function_call", "function_call_output", "reasoning", "item_reference")
INPUT_PARTS = ("input_text", "input_image", "input_file")
OUTPUT_PARTS = ("output_text", "refusal")
INCLUDABLE = (
    "file_search_call.results",
    "web_search_call.results",
    "web_search_call.action.sources",
    "message.input_image.image_url",
    "computer_call_output.output.image_url",
    "code_interpreter_call.outputs",
    "reasoning.encrypted_content",
    "message.output_text.logprobs",
)
EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
SUMMARIES = ("auto", "concise", "detailed")
FORMATS = ("text", "json_schema", "json_object")
# The API's floor for max_output_tokens.
MIN_OUTPUT_TOKENS = 16


def missing(path: str) -> ApiError:
    return invalid_request(
        f"Missing required parameter: '{path}'.", path, "missing_required_parameter"
    )


def invalid_type(path: str, expected: str, value: Any) -> ApiError:
    return invalid_request(
        f"Invalid type for '{path}': expected {expected}, but got {describe_value(value)} instead.",
        path,
        "invalid_type",
    )


def invalid_value(path: str, value: Any, supported: Sequence[str]) -> ApiError:
    return invalid_request(
        f"Invalid value: '{value}'. Supported values are: {quote_list(supported)}.",
        path,
        "invalid_value",
    )


def _string(body: dict[str, Any], key: str, path: str, *, required: bool = False) -> None:
    if key not in body or (body[key] is None and not required):
        if required:
            raise missing(path)
        return
    if not isinstance(body[key], str):
        raise invalid_type(path, "a string", body[key])


def _bool(body: dict[str, Any], key: str) -> None:
    value = body.get(key)
    if value is not None and not isinstance(value, bool):
        raise invalid_type(key, "a boolean", value)


def _choice(body: dict[str, Any], key: str, path: str, supported: Sequence[str]) -> None:
    value = body.get(key)
    if value is None:
        return
    if not isinstance(value, str):
        raise invalid_type(path, "a string", value)
    if value not in supported:
        raise invalid_value(path, value, supported)


def _number(body: dict[str, Any], key: str, low: float, high: float) -> None:
    value = body.get(key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid_type(key, "a number", value)
    if value < low:
        raise invalid_request(
            f"Invalid '{key}': decimal below minimum value. Expected a value >= {low:g}, "
            f"but got {value} instead.",
            key,
            "decimal_below_min_value",
        )
    if value > high:
        raise invalid_request(
            f"Invalid '{key}': decimal above maximum value. Expected a value <= {high:g}, "
            f"but got {value} instead.",
            key,
            "decimal_above_max_value",
        )


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_type(path, "an object", value)
    return value


# --- input ------------------------------------------------------------------------------


def item_kind(item: dict[str, Any]) -> str:
    """An input item's type: an easy message (``{"role", "content"}``) has none."""
    kind = item.get("type")
    return "message" if kind is None and "role" in item else str(kind)


def _content(item: dict[str, Any], path: str) -> None:  # noqa: C901 (one branch per part type)
    if "content" not in item:
        raise missing(f"{path}.content")
    content = item["content"]
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise invalid_type(f"{path}.content", "one of a string or array of input items", content)
    allowed = OUTPUT_PARTS if item.get("role") == "assistant" else INPUT_PARTS
    for index, raw in enumerate(content):
        where = f"{path}.content[{index}]"
        part = _object(raw, where)
        kind = part.get("type")
        if kind is None:
            raise missing(f"{where}.type")
        if kind not in allowed:
            raise invalid_value(f"{where}.type", kind, allowed)
        if kind in ("input_text", "output_text"):
            _string(part, "text", f"{where}.text", required=True)
        elif kind == "refusal":
            _string(part, "refusal", f"{where}.refusal", required=True)
        elif kind == "input_image" and part.get("image_url") is None and not part.get("file_id"):
            raise invalid_request(
                "Invalid input image: one of 'image_url' or 'file_id' must be provided.",
                where,
                "invalid_value",
            )
        elif kind == "input_file" and not any(
            part.get(key) for key in ("file_data", "file_id", "file_url")
        ):
            raise invalid_request(
                "Invalid input file: one of 'file_data', 'file_id' or 'file_url' must be provided.",
                where,
                "invalid_value",
            )


def check_input(items: Any, *, known_calls: Iterable[str] = ()) -> None:  # noqa: C901 (per item type)
    """The ``input`` field; ``known_calls`` are call ids of a stored history before it."""
    if isinstance(items, str):
        return
    if not isinstance(items, list):
        raise invalid_type("input", "one of a string or array of input items", items)
    calls = set(known_calls)
    for index, raw in enumerate(items):
        path = f"input[{index}]"
        item = _object(raw, path)
        kind = item_kind(item)
        if "type" in item and not isinstance(item["type"], str):
            raise invalid_type(f"{path}.type", "a string", item["type"])
        if kind == "None":
            raise missing(f"{path}.type")
        if kind not in ITEM_TYPES:
            raise invalid_value(f"{path}.type", kind, ITEM_TYPES)
        if kind == "message":
            if "role" not in item:
                raise missing(f"{path}.role")
            _choice(item, "role", f"{path}.role", ROLES)
            _content(item, path)
        elif kind == "function_call":
            for key in ("call_id", "name", "arguments"):
                _string(item, key, f"{path}.{key}", required=True)
            calls.add(item["call_id"])
        elif kind == "function_call_output":
            _string(item, "call_id", f"{path}.call_id", required=True)
            output = item.get("output")
            if output is None:
                raise missing(f"{path}.output")
            if not isinstance(output, (str, list)):
                raise invalid_type(f"{path}.output", "one of a string or array", output)
            if item["call_id"] not in calls:
                raise invalid_request(
                    f"No tool call found for function call output with call_id {item['call_id']}.",
                    "input",
                )
        elif kind == "reasoning":
            if not isinstance(item.get("summary"), list):
                if "summary" not in item:
                    raise missing(f"{path}.summary")
                raise invalid_type(f"{path}.summary", "an array", item["summary"])
        else:  # item_reference
            _string(item, "id", f"{path}.id", required=True)


# --- the rest of the request -----------------------------------------------------------


def _check_tools(body: dict[str, Any], unknown: list[str]) -> list[str]:
    """Function tools checked; other tool types are accepted and named in ``unknown``
    (mockgw never calls them). Returns the function tools' names."""
    tools = body.get("tools")
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise invalid_type("tools", "an array", tools)
    names = []
    for index, raw in enumerate(tools):
        path = f"tools[{index}]"
        tool = _object(raw, path)
        kind = tool.get("type")
        if kind is None:
            raise missing(f"{path}.type")
        if not isinstance(kind, str):
            raise invalid_type(f"{path}.type", "a string", kind)
        if kind != "function":
            unknown.append(f"{path} (a '{kind}' tool, which mockgw never calls)")
            continue
        _string(tool, "name", f"{path}.name", required=True)
        _string(tool, "description", f"{path}.description")
        if tool.get("parameters") is not None:
            _object(tool["parameters"], f"{path}.parameters")
        _bool_at(tool, "strict", f"{path}.strict")
        names.append(tool["name"])
    return names


def _bool_at(body: dict[str, Any], key: str, path: str) -> None:
    value = body.get(key)
    if value is not None and not isinstance(value, bool):
        raise invalid_type(path, "a boolean", value)


def _check_tool_choice(body: dict[str, Any], names: list[str]) -> None:
    choice = body.get("tool_choice")
    if choice is None:
        return
    if isinstance(choice, str):
        _choice(body, "tool_choice", "tool_choice", ("none", "auto", "required"))
        return
    _object(choice, "tool_choice")
    kind = choice.get("type")
    if kind == "function":
        _string(choice, "name", "tool_choice.name", required=True)
        if choice["name"] not in names:
            raise invalid_request(
                f"Tool choice 'function' with name '{choice['name']}' not found in 'tools' "
                "parameter.",
                "tool_choice",
            )
    elif kind == "allowed_tools":
        _choice(choice, "mode", "tool_choice.mode", ("auto", "required"))
        if not isinstance(choice.get("tools"), list):
            raise missing("tool_choice.tools")
    elif kind is None:
        raise missing("tool_choice.type")


def _check_text(body: dict[str, Any], items: Any) -> None:
    text = body.get("text")
    if text is None:
        return
    _object(text, "text")
    _choice(text, "verbosity", "text.verbosity", ("low", "medium", "high"))
    fmt = text.get("format")
    if fmt is None:
        return
    _object(fmt, "text.format")
    kind = fmt.get("type")
    if kind is None:
        raise missing("text.format.type")
    _choice(fmt, "type", "text.format.type", FORMATS)
    if kind == "json_schema":
        _string(fmt, "name", "text.format.name", required=True)
        if "schema" not in fmt:
            raise missing("text.format.schema")
        _object(fmt["schema"], "text.format.schema")
        _bool_at(fmt, "strict", "text.format.strict")
    elif kind == "json_object" and "json" not in json_haystack(body, items):
        raise invalid_request(
            "Response input messages must contain the word 'json' in some form to use "
            "'text.format' of type 'json_object'.",
            "input",
        )


def json_haystack(body: dict[str, Any], items: Any) -> str:
    """Where the API looks for the word "json": instructions and input text."""
    found = [body.get("instructions") or ""]
    if isinstance(items, str):
        found.append(items)
    elif isinstance(items, list):
        for item in items:
            content = item.get("content") if isinstance(item, dict) else None
            if isinstance(content, str):
                found.append(content)
            elif isinstance(content, list):
                found.extend(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return " ".join(str(f) for f in found).lower()


def _check_options(body: dict[str, Any]) -> None:  # noqa: C901 (one check per field)
    for key in ("parallel_tool_calls", "store", "stream", "background"):
        _bool(body, key)
    for key in ("instructions", "previous_response_id", "user", "safety_identifier"):
        _string(body, key, key)
    _number(body, "temperature", 0, 2)
    _number(body, "top_p", 0, 1)
    _choice(body, "truncation", "truncation", ("auto", "disabled"))
    limit = body.get("max_output_tokens")
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise invalid_type("max_output_tokens", "an integer", limit)
        if limit < MIN_OUTPUT_TOKENS:
            raise invalid_request(
                "Invalid 'max_output_tokens': integer below minimum value. Expected a value "
                f">= {MIN_OUTPUT_TOKENS}, but got {limit} instead.",
                "max_output_tokens",
                "integer_below_min_value",
            )
    reasoning = body.get("reasoning")
    if reasoning is not None:
        _object(reasoning, "reasoning")
        _choice(reasoning, "effort", "reasoning.effort", EFFORTS)
        _choice(reasoning, "summary", "reasoning.summary", SUMMARIES)
    metadata = body.get("metadata")
    if metadata is not None:
        _object(metadata, "metadata")
        if len(metadata) > 16:
            raise invalid_request(
                f"Invalid 'metadata': too many properties. Expected an object with at most 16 "
                f"properties, but got an object with {len(metadata)} properties instead.",
                "metadata",
                "object_above_max_properties",
            )
        for key, value in metadata.items():
            if not isinstance(value, str):
                raise invalid_type(f"metadata.{key}", "a string", value)
    include = body.get("include")
    if include is not None:
        if not isinstance(include, list):
            raise invalid_type("include", "an array", include)
        for index, value in enumerate(include):
            if value not in INCLUDABLE:
                raise invalid_value(f"include[{index}]", value, INCLUDABLE)
    if body.get("stream_options") is not None and body.get("stream") is not True:
        raise invalid_request(
            "Invalid value for 'stream_options': stream_options is only allowed when 'stream' "
            "is true.",
            "stream_options",
        )
    if body.get("background") is True:
        raise invalid_request(
            "Background mode is not supported by mockgw; send the request without 'background'.",
            "background",
            "mockgw_unsupported",
        )


def validate_request(
    body: dict[str, Any], *, strict: bool, known_calls: Iterable[str] = ()
) -> list[str]:
    """Raise the API's 400 for ``body``; the unknown fields (and tools mockgw never calls)
    to warn about. Strict mode refuses an unknown field, as the real API does."""
    unknown = [key for key in body if key not in FIELDS]
    if strict and unknown:
        raise invalid_request(
            f"Unknown parameter: '{unknown[0]}'.", unknown[0], "unknown_parameter"
        )
    if "model" not in body:
        raise missing("model")
    _string(body, "model", "model", required=True)
    items = body.get("input")
    if items is not None:
        check_input(items, known_calls=known_calls)
    _check_options(body)
    names = _check_tools(body, unknown)
    _check_tool_choice(body, names)
    _check_text(body, items)
    return unknown
