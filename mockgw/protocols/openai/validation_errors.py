"""Turn a pydantic :class:`~pydantic.ValidationError` into OpenAI's 400 wording.

Clients (and their tests) match on OpenAI's messages, ``param`` and ``code``, so pydantic's
own phrasing ("Input should be …") must never reach the wire. Each pydantic error type is
mapped onto the sentence the real API uses for the same problem, and pydantic locations
(``('messages', 0, '<role:user>', 'content')``) become OpenAI paths
(``messages[0].content``) once the union tags of :mod:`.schema` are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from mockgw.errors import ApiError
from mockgw.protocols.openai.schema import SHAPE_UNION_ERROR, TAGGED_UNION_ERROR, UNION_TAGS

__all__ = [
    "api_error_from_validation",
    "describe_value",
    "format_path",
    "invalid_request",
    "quote_list",
]

# pydantic error type -> what OpenAI says it expected ("expected an integer, but got …").
_EXPECTED_BY_TYPE = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "a boolean",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "list_type": "an array",
    "tuple_type": "an array",
}
_LITERAL_VALUE = re.compile(r"'((?:[^'\\]|\\.)*)'")
_DICT_KEY = "[key]"  # the loc element pydantic appends when a dict *key* is invalid


def invalid_request(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    """The 400 ``invalid_request_error`` every validation failure becomes."""
    return ApiError(400, "invalid_request_error", message, param=param, code=code)


def format_path(loc: Sequence[int | str]) -> str:
    """``('messages', 0, '<role:user>', 'content')`` -> ``'messages[0].content'``."""
    path = ""
    for item in loc:
        if isinstance(item, int):
            path += f"[{item}]"
        elif item not in UNION_TAGS:
            path += f".{item}" if path else item
    return path


def describe_value(value: Any) -> str:
    """How OpenAI names the JSON type it got: ``an integer``, ``null``, ``an array`` …"""
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    return "an object"


def quote_list(values: Sequence[str]) -> str:
    """``['a', 'b', 'c']`` -> ``"'a', 'b', and 'c'"`` (OpenAI's serial comma)."""
    quoted = [f"'{value}'" for value in values]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def api_error_from_validation(error: ValidationError) -> ApiError:
    """Translate the most relevant error of ``error`` (see :func:`_pick`)."""
    details = _pick(error.errors(include_url=False))
    loc = details["loc"]
    if _DICT_KEY in loc:
        return _translate_key(details, format_path(loc[: loc.index(_DICT_KEY) - 1]))
    return _translate(details, format_path(loc))


def _pick(errors: list[ErrorDetails]) -> ErrorDetails:
    """Report the first error; among errors of the same item, the most specific one.

    The schema's unions are all tagged, so pydantic reports one branch per union; when
    one item still yields several errors, the deepest location names the field to fix.
    """
    first = errors[0]
    scope = first["loc"][:2]
    same_item = [e for e in errors if e["loc"][:2] == scope]
    return max(same_item, key=lambda e: len(e["loc"]))  # max keeps the first on ties


# A flat table, one branch per pydantic error type; splitting it would hide the order.
def _translate(details: ErrorDetails, path: str) -> ApiError:  # noqa: C901
    kind = details["type"]
    value = details["input"]
    ctx: dict[str, Any] = dict(details.get("ctx") or {})
    if not path:
        return _invalid_type("the request body", "an object", value)
    if kind == "missing":
        return _missing(path)
    if kind == TAGGED_UNION_ERROR:
        return _tagged_union(path, value, str(ctx["key"]), str(ctx["values"]).split("|"))
    if kind == SHAPE_UNION_ERROR:
        if value is None and path.endswith("content"):
            # The real API's own sentence for null message content (param included).
            return invalid_request(
                "Invalid value for 'content': expected a string, got null.", path
            )
        return _invalid_type(path, str(ctx["expected"]), value)
    if kind in _EXPECTED_BY_TYPE:
        return _invalid_type(path, _EXPECTED_BY_TYPE[kind], value)
    if kind == "literal_error":
        values = _LITERAL_VALUE.findall(str(ctx["expected"]))
        if not isinstance(value, str):
            return _invalid_type(path, "a string", value)
        return _invalid_value(path, value, values)
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return _out_of_range(path, kind, ctx, value)
    if kind == "too_short":
        return _too_short(path, ctx, value)
    if kind == "too_long":
        return _too_long(path, ctx, value)
    if kind == "string_too_long":
        return invalid_request(
            f"Invalid '{path}': string too long. Expected a string with maximum length "
            f"{ctx['max_length']}, but got a string with length {len(value)} instead.",
            path,
            "string_above_max_length",
        )
    if kind == "string_too_short":
        got = "an empty string" if not value else f"a string with length {len(value)}"
        return invalid_request(
            f"Invalid '{path}': string too short. Expected a string with minimum length "
            f"{ctx['min_length']}, but got {got} instead.",
            path,
            "string_below_min_length",
        )
    if kind == "string_pattern_mismatch":
        return invalid_request(
            f"Invalid '{path}': string does not match pattern. Expected a string that matches "
            f"the pattern '{ctx['pattern']}'.",
            path,
            "invalid_value",
        )
    # Anything unforeseen still gets OpenAI's shape rather than pydantic's wording.
    return invalid_request(f"Invalid value for '{path}'.", path, "invalid_value")


def _translate_key(details: ErrorDetails, path: str) -> ApiError:
    """An invalid *key* of a map (``metadata``): named by the map, not by the key."""
    ctx: dict[str, Any] = dict(details.get("ctx") or {})
    if details["type"] == "string_too_long":
        return invalid_request(
            f"Invalid key in '{path}': string too long. Expected a string with maximum length "
            f"{ctx['max_length']}, but got a string with length {len(details['input'])} instead.",
            path,
            "string_above_max_length",
        )
    return invalid_request(f"Invalid key in '{path}'.", path, "invalid_value")


def _missing(path: str) -> ApiError:
    if path.startswith("messages[") and path.endswith(".tool_call_id"):
        return invalid_request(
            "Missing parameter 'tool_call_id': messages with role 'tool' must have a "
            "'tool_call_id'.",
            path,
        )
    return invalid_request(
        f"Missing required parameter: '{path}'.", path, "missing_required_parameter"
    )


def _invalid_type(path: str, expected: str, value: Any) -> ApiError:
    subject = path if path == "the request body" else f"'{path}'"
    return invalid_request(
        f"Invalid type for {subject}: expected {expected}, but got {describe_value(value)} "
        "instead.",
        None if path == "the request body" else path,
        "invalid_type",
    )


def _invalid_value(path: str, value: str, supported: Sequence[str]) -> ApiError:
    return invalid_request(
        f"Invalid value: '{value}'. Supported values are: {quote_list(supported)}.",
        path,
        "invalid_value",
    )


def _tagged_union(path: str, value: Any, key: str, supported: Sequence[str]) -> ApiError:
    """No union member fits: say whether the item, its tag key or the tag value is wrong."""
    if not isinstance(value, dict):
        return _invalid_type(path, "an object", value)
    key_path = f"{path}.{key}"
    if key not in value:
        return _missing(key_path)
    tag = value[key]
    if not isinstance(tag, str):
        return _invalid_type(key_path, "a string", tag)
    return _invalid_value(key_path, tag, supported)


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _out_of_range(path: str, kind: str, ctx: dict[str, Any], value: Any) -> ApiError:
    op = {
        "greater_than_equal": ">=",
        "greater_than": ">",
        "less_than_equal": "<=",
        "less_than": "<",
    }
    bound = ctx[{">=": "ge", ">": "gt", "<=": "le", "<": "lt"}[op[kind]]]
    # Float fields declare float bounds (see schema), so the bound tells the field type.
    number = "decimal" if isinstance(bound, float) else "integer"
    above = kind.startswith("less")
    side, limit = ("above", "maximum") if above else ("below", "minimum")
    return invalid_request(
        f"Invalid '{path}': {number} {side} {limit} value. Expected a value {op[kind]} "
        f"{_number(bound)}, but got {value} instead.",
        path,
        f"{number}_{side}_{limit[:3]}_value",
    )


def _too_short(path: str, ctx: dict[str, Any], value: Any) -> ApiError:
    if not value:
        return invalid_request(
            f"Invalid '{path}': empty array. Expected an array with minimum length "
            f"{ctx['min_length']}, but got an empty array instead.",
            path,
            "empty_array",
        )
    return invalid_request(
        f"Invalid '{path}': array too short. Expected an array with minimum length "
        f"{ctx['min_length']}, but got an array with length {len(value)} instead.",
        path,
        "array_below_min_length",
    )


def _too_long(path: str, ctx: dict[str, Any], value: Any) -> ApiError:
    if isinstance(value, dict):
        return invalid_request(
            f"Invalid '{path}': too many properties. Expected an object with at most "
            f"{ctx['max_length']} properties, but got an object with {len(value)} properties "
            "instead.",
            path,
            "object_above_max_properties",
        )
    return invalid_request(
        f"Invalid '{path}': array too long. Expected an array with maximum length "
        f"{ctx['max_length']}, but got an array with length {len(value)} instead.",
        path,
        "array_above_max_length",
    )
