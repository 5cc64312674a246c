"""Validate a ``POST /v1/chat/completions`` body the way the real OpenAI API does.

Three passes, cheapest first, each raising an OpenAI-worded
:class:`~mockgw.errors.ApiError` (400 ``invalid_request_error``):

1. shape: :class:`~mockgw.protocols.openai.schema.ChatCompletionRequest` (one pydantic
   call, errors translated by :mod:`.validation_errors`);
2. unknown fields: collected everywhere in the body; an error only in ``strict`` mode,
   because real OpenAI rejects them while OpenAI-compatible gateways ignore them;
3. cross-field rules the schema cannot express: tool-call ordering, options that need
   another option, image URLs, function parameter schemas.

Example::

    request, unknown = validate_chat_request(body, strict=False)
    if unknown:
        log.info("ignored fields: %s", unknown)   # e.g. ["foo", "messages[0].bar"]
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from mockgw.errors import ApiError
from mockgw.protocols.openai.schema import (
    AssistantMessage,
    ChatCompletionRequest,
    FunctionTool,
    ImageUrlPart,
    LegacyFunction,
    Message,
    NamedCustomChoice,
    NamedFunctionChoice,
    ToolMessage,
    UserMessage,
)
from mockgw.protocols.openai.validation_errors import api_error_from_validation, invalid_request

__all__ = ["unknown_fields", "validate_chat_request"]

_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
_DATA_URL_HINT = (
    "Expected a base64-encoded data URL with an image MIME type "
    "(e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU=')"
)


def validate_chat_request(
    body: dict[str, Any], *, strict: bool
) -> tuple[ChatCompletionRequest, list[str]]:
    """Validate ``body``; return the model and the unknown field paths found in it.

    Unknown paths use OpenAI's syntax (``"foo"``, ``"messages[0].bar"``), top-level keys
    first. With ``strict=True`` any unknown field is rejected like the real API does.
    Raises :class:`~mockgw.errors.ApiError` (400) on the first problem found.
    """
    try:
        request = ChatCompletionRequest.model_validate(body)
    except ValidationError as exc:
        raise api_error_from_validation(exc) from None
    unknown = unknown_fields(request)
    if strict and unknown:
        raise _unknown_field_error(unknown)
    _check_messages(request.messages)
    _check_tools(request)
    _check_options(request)
    return request, unknown


# --- unknown fields ----------------------------------------------------------------------

# Per model class, the (attribute, wire name) of fields that can hold nested models.
# Computed once per class so the walk only visits fields that can hide unknown keys.
_NESTED: dict[type[BaseModel], tuple[tuple[str, str], ...]] = {}


def _holds_model(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_holds_model(arg) for arg in get_args(annotation))


def _nested_fields(cls: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    fields = _NESTED.get(cls)
    if fields is None:
        fields = tuple(
            (name, info.alias or name)
            for name, info in cls.model_fields.items()
            if _holds_model(info.annotation)
        )
        _NESTED[cls] = fields
    return fields


def unknown_fields(model: BaseModel) -> list[str]:
    """Paths of every key the schema does not know, in OpenAI syntax, outermost first."""
    found: list[str] = []
    _collect_unknown(model, "", found)
    return found


def _collect_unknown(model: BaseModel, path: str, found: list[str]) -> None:
    extra = model.__pydantic_extra__
    if extra:
        found.extend(f"{path}.{key}" if path else key for key in extra)
    for name, wire in _nested_fields(type(model)):
        value = getattr(model, name)
        if value is None:
            continue
        where = f"{path}.{wire}" if path else wire
        if isinstance(value, BaseModel):
            _collect_unknown(value, where, found)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    _collect_unknown(item, f"{where}[{index}]", found)


def _unknown_field_error(unknown: Sequence[str]) -> ApiError:
    top_level = [path for path in unknown if "." not in path and "[" not in path]
    if len(top_level) == 1:
        return invalid_request(f"Unrecognized request argument supplied: {top_level[0]}")
    if top_level:
        return invalid_request(f"Unrecognized request arguments supplied: {', '.join(top_level)}")
    path = unknown[0]
    return invalid_request(f"Unknown parameter: '{path}'.", path, "unknown_parameter")


# --- messages ----------------------------------------------------------------------------


def _check_messages(messages: Sequence[Message]) -> None:
    """Tool-call pairing, assistant content and image URLs, in one pass over the messages.

    A run of ``tool`` messages must directly follow the assistant message whose
    ``tool_calls`` they answer, and must answer every call before anything else comes.
    """
    calling: int | None = None  # index of the assistant message the tool run answers
    open_ids: dict[str, None] = {}  # ids of ``calling`` not answered yet (ordered)
    all_ids: frozenset[str] = frozenset()
    for index, message in enumerate(messages):
        if isinstance(message, ToolMessage):
            if calling is None:
                raise invalid_request(
                    "Invalid parameter: messages with role 'tool' must be a response to a "
                    "preceeding message with 'tool_calls'.",
                    f"messages[{index}].role",
                )
            if message.tool_call_id not in all_ids:
                raise invalid_request(
                    f"Invalid parameter: 'tool_call_id' of '{message.tool_call_id}' not found "
                    "in 'tool_calls' of previous message.",
                    f"messages[{index}].tool_call_id",
                )
            open_ids.pop(message.tool_call_id, None)
            continue
        if calling is not None and open_ids:
            raise _unanswered_calls(calling, open_ids)
        calling = None
        if isinstance(message, AssistantMessage):
            _check_assistant(message, index)
            if message.tool_calls:
                calling = index
                open_ids = dict.fromkeys(call.id for call in message.tool_calls)
                all_ids = frozenset(open_ids)
        elif isinstance(message, UserMessage):
            _check_user(message, index)
    if calling is not None and open_ids:
        raise _unanswered_calls(calling, open_ids)


def _unanswered_calls(index: int, ids: dict[str, None]) -> ApiError:
    # The real API names the assistant message's ``role`` as the param here.
    return invalid_request(
        "An assistant message with 'tool_calls' must be followed by tool messages responding "
        "to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
        + ", ".join(ids),
        f"messages[{index}].role",
    )


def _check_user(message: UserMessage, index: int) -> None:
    if isinstance(message.content, list):
        for part_index, part in enumerate(message.content):
            if isinstance(part, ImageUrlPart):
                where = f"messages[{index}].content[{part_index}].image_url.url"
                _check_image_url(part.image_url.url, where)


def _check_assistant(message: AssistantMessage, index: int) -> None:
    # ``content`` may only be omitted when the turn carries something else to replay.
    if message.content is None and not (
        message.tool_calls or message.function_call or message.audio
    ):
        raise invalid_request(
            "Invalid value for 'content': expected a string, got null.",
            f"messages[{index}].content",
        )


def _check_image_url(url: str, where: str) -> None:
    """Accept http(s) URLs and base64 ``data:`` URLs of the four image types OpenAI reads."""
    scheme = url[:8].lower()
    if scheme.startswith(("http://", "https://")):
        return
    if not scheme.startswith("data:"):
        raise invalid_request(
            f"Invalid image URL: '{where}'. {_DATA_URL_HINT}, but got a value without the "
            "'data:' prefix.",
            where,
            "invalid_value",
        )
    header, _, payload = url[5:].partition(",")
    media_type, *params = header.split(";")
    if media_type.lower() not in _IMAGE_TYPES:
        raise invalid_request(
            f"Invalid '{where}': {_DATA_URL_HINT}, but got unsupported MIME type '{media_type}'.",
            where,
            "invalid_value",
        )
    if "base64" not in params:
        raise invalid_request(
            f"Invalid '{where}': {_DATA_URL_HINT}, but got a data URL without ';base64'.",
            where,
            "invalid_value",
        )
    if not payload:
        raise invalid_request(
            f"Invalid '{where}': {_DATA_URL_HINT}, but got empty base64-encoded bytes.",
            where,
            "invalid_value",
        )
    try:
        base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise invalid_request(
            f"Invalid '{where}': {_DATA_URL_HINT}, but got invalid base64-encoded bytes.",
            where,
            "invalid_image_format",
        ) from None


# --- tools and options -------------------------------------------------------------------


def _check_parameters(definition: FunctionTool | LegacyFunction, where: str, name: str) -> None:
    parameters = (
        definition.function.parameters
        if isinstance(definition, FunctionTool)
        else definition.parameters
    )
    if parameters is None or parameters.get("type", "object") == "object":
        return
    declared = parameters["type"]
    shown = f'"{declared}"' if isinstance(declared, str) else repr(declared)
    raise invalid_request(
        f"Invalid schema for function '{name}': schema must be a JSON Schema of "
        f"'type: \"object\"', got 'type: {shown}'.",
        where,
        "invalid_function_parameters",
    )


def _check_tools(request: ChatCompletionRequest) -> None:
    function_names: set[str] = set()
    custom_names: set[str] = set()
    for index, tool in enumerate(request.tools or ()):
        if isinstance(tool, FunctionTool):
            name = tool.function.name
            function_names.add(name)
            _check_parameters(tool, f"tools[{index}].function.parameters", name)
        else:
            custom_names.add(tool.custom.name)
    for index, function in enumerate(request.functions or ()):
        _check_parameters(function, f"functions[{index}].parameters", function.name)

    if not request.tools:
        for option in ("tool_choice", "parallel_tool_calls"):
            if getattr(request, option) is not None:
                raise invalid_request(
                    f"Invalid value for '{option}': '{option}' is only allowed when 'tools' are "
                    "specified.",
                    option,
                )
    choice = request.tool_choice
    if isinstance(choice, NamedFunctionChoice) and choice.function.name not in function_names:
        raise invalid_request(
            f"Invalid value for 'tool_choice': function '{choice.function.name}' is not one of "
            "the functions in 'tools'.",
            "tool_choice.function.name",
            "invalid_value",
        )
    if isinstance(choice, NamedCustomChoice) and choice.custom.name not in custom_names:
        raise invalid_request(
            f"Invalid value for 'tool_choice': custom tool '{choice.custom.name}' is not one of "
            "the custom tools in 'tools'.",
            "tool_choice.custom.name",
            "invalid_value",
        )
    if request.function_call is not None and not request.functions:
        raise invalid_request(
            "Invalid value for 'function_call': 'function_call' is only allowed when "
            "'functions' are specified.",
            "function_call",
        )


def _check_options(request: ChatCompletionRequest) -> None:
    if request.top_logprobs is not None and not request.logprobs:
        raise invalid_request(
            "Invalid value for 'top_logprobs': 'top_logprobs' is only allowed when 'logprobs' "
            "is true.",
            "top_logprobs",
        )
    if request.stream_options is not None and not request.stream:
        raise invalid_request(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            "stream_options",
        )
