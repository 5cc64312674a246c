"""Validation of Anthropic Messages requests, worded like the real API.

Three layers, in the order the real API applies them:

1. the ``anthropic-version`` header (:func:`check_version_header`);
2. the body's schema (:mod:`.schema`), whose pydantic errors are rendered by
   :mod:`.validation_errors`; unknown fields are listed, and rejected in strict mode
   with ``<path>: Extra inputs are not permitted``;
3. semantic rules no schema can express (thinking budgets, tool_use/tool_result
   pairing, empty content...), each answered with the real API's sentence.

Every problem raises :class:`~mockgw.errors.ApiError` (400, ``invalid_request_error``).
Sentences marked *unverified* below could not be matched to a real response and are
our best guess at the API's style.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import ValidationError

from .output_format import check_output_format
from .schema import (
    Base64ImageSource,
    Base64PdfSource,
    ContentSource,
    CountTokensRequest,
    DocumentBlock,
    ImageBlock,
    Message,
    MessagesRequest,
    TextBlock,
    ThinkingAdaptive,
    ThinkingEnabled,
    ToolAdditionBlock,
    ToolChoiceAny,
    ToolChoiceTool,
    ToolRemovalBlock,
    ToolResultBlock,
    ToolUseBlock,
)
from .system_messages import (
    MSG_TOOL_CHANGE_OUTSIDE_SYSTEM,
    check_system_placement,
)
from .validation_errors import (
    api_error_from_validation,
    collect_unknown_fields,
    invalid_request,
    join_path,
)

__all__ = [
    "SUPPORTED_VERSIONS",
    "check_version_header",
    "validate_count_tokens_request",
    "validate_messages_request",
]

# 2023-06-01 is what every SDK up to 0.x sends, 2023-01-01 is the legacy value the API
# still honours, and 2026-10-21 is what the 2.x Python SDK sends.
SUPPORTED_VERSIONS = frozenset({"2023-06-01", "2023-01-01", "2026-10-21"})

_EXTENDED_THINKING_DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
MSG_BUDGET_NOT_BELOW_MAX = (
    "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our "
    f"documentation at {_EXTENDED_THINKING_DOCS}#max-tokens-and-context-window-size"
)
MSG_THINKING_TEMPERATURE = (
    "`temperature` may only be set to 1 when thinking is enabled or in adaptive mode. "
    "Please consult our documentation at "
    "https://platform.claude.com/docs/en/build-with-claude/extended-thinking"
)
MSG_THINKING_TOP_K = (
    "`top_k` must be unset when thinking is enabled. Please consult our documentation at "
    f"{_EXTENDED_THINKING_DOCS}#important-considerations-when-using-extended-thinking"
)
MSG_THINKING_FORCED_TOOL = "Thinking may not be enabled when tool_choice forces tool use."
MSG_TOOL_CHOICE_WITHOUT_TOOLS = (
    "tool_choice: tool_choice may only be specified while providing tools."
)
MSG_DUPLICATE_TOOLS = "tools: Tool names must be unique."
MSG_EMPTY_MESSAGE = (
    "all messages must have non-empty content except for the optional final assistant message"
)
MSG_EMPTY_TEXT_BLOCK = "messages: text content blocks must be non-empty"
MSG_BLANK_TEXT_BLOCK = "messages: text content blocks must contain non-whitespace text"
MSG_TRAILING_WHITESPACE = "messages: final assistant content cannot end with trailing whitespace"

Request = TypeVar("Request", MessagesRequest, CountTokensRequest)


def check_version_header(value: str | None) -> str:
    """Return the accepted ``anthropic-version`` or raise the API's 400.

    A duplicated header reaches us joined with ", " and is rejected as one value,
    exactly like the real API does.
    """
    if value is None:
        raise invalid_request("anthropic-version: header is required")
    if value not in SUPPORTED_VERSIONS:
        raise invalid_request(f'anthropic-version: "{value}" is not a valid version')
    return value


def validate_messages_request(
    body: dict[str, Any], *, strict: bool, semantic: bool = True
) -> tuple[MessagesRequest, list[str]]:
    """Validate a ``/v1/messages`` body; return the model and its unknown field paths.

    ``semantic=False`` skips the cross-field rules, for conformance runs of the SDK
    suites, which send deliberately nonsensical but well-typed combinations.
    """
    request, unknown = _validate_schema(MessagesRequest, body, strict)
    if semantic:
        _check_thinking(request)
        _check_common(request)
    return request, unknown


def validate_count_tokens_request(
    body: dict[str, Any], *, strict: bool, semantic: bool = True
) -> tuple[CountTokensRequest, list[str]]:
    """Validate a ``/v1/messages/count_tokens`` body (generation controls are unknown there)."""
    request, unknown = _validate_schema(CountTokensRequest, body, strict)
    if semantic:
        _check_thinking_tool_choice(request)
        _check_common(request)
    return request, unknown


def _validate_schema(
    model: type[Request], body: dict[str, Any], strict: bool
) -> tuple[Request, list[str]]:
    try:
        request = model.model_validate(body)
    except ValidationError as exc:
        raise api_error_from_validation(exc, body) from None
    paths = collect_unknown_fields(request)
    if strict and paths:
        raise invalid_request(join_path(paths[0], "Extra inputs are not permitted"))
    return request, [".".join(str(p) for p in path) for path in paths]


# --- semantic rules ------------------------------------------------------------------------


def _thinking_on(request: CountTokensRequest) -> bool:
    return isinstance(request.thinking, ThinkingEnabled | ThinkingAdaptive)


def _check_thinking(request: MessagesRequest) -> None:
    thinking = request.thinking
    if isinstance(thinking, ThinkingEnabled) and thinking.budget_tokens >= request.max_tokens:
        raise invalid_request(MSG_BUDGET_NOT_BELOW_MAX)
    if _thinking_on(request):
        if request.temperature is not None and request.temperature != 1:
            raise invalid_request(MSG_THINKING_TEMPERATURE)
        if request.top_k is not None:
            raise invalid_request(MSG_THINKING_TOP_K)
    _check_thinking_tool_choice(request)


def _check_thinking_tool_choice(request: CountTokensRequest) -> None:
    if _thinking_on(request) and isinstance(request.tool_choice, ToolChoiceAny | ToolChoiceTool):
        raise invalid_request(MSG_THINKING_FORCED_TOOL)


def _check_common(request: CountTokensRequest) -> None:
    check_output_format(request)
    _check_tools(request)
    _check_system(request)
    check_system_placement(request.messages)
    for index, message in enumerate(request.messages):
        _check_message(index, message, last=index == len(request.messages) - 1)
    _check_tool_pairing(request.messages)


def _check_tools(request: CountTokensRequest) -> None:
    tools = request.tools or []
    names = [tool.name for tool in tools if tool.name is not None]
    if len(names) != len(set(names)):
        raise invalid_request(MSG_DUPLICATE_TOOLS)
    choice = request.tool_choice
    if isinstance(choice, ToolChoiceAny | ToolChoiceTool) and not tools:
        raise invalid_request(MSG_TOOL_CHOICE_WITHOUT_TOOLS)
    if isinstance(choice, ToolChoiceTool) and choice.name not in names:
        # unverified wording
        raise invalid_request(
            f"tool_choice.tool.name: Tool '{choice.name}' not found in the provided `tools`"
        )


def _check_system(request: CountTokensRequest) -> None:
    if isinstance(request.system, list):
        for block in request.system:
            if not block.text:
                raise invalid_request("system: text content blocks must be non-empty")


def _check_message(index: int, message: Message, *, last: bool) -> None:
    content = message.content
    final_assistant = last and message.role == "assistant"
    if not content and not final_assistant:
        raise invalid_request(join_path(["messages", index], MSG_EMPTY_MESSAGE))
    if isinstance(content, str):
        if final_assistant and content and content[-1].isspace():
            raise invalid_request(MSG_TRAILING_WHITESPACE)
        return
    for position, block in enumerate(content):
        _check_block(block, ["messages", index, "content", position], role=message.role)
    if final_assistant and content:
        tail = content[-1]
        if isinstance(tail, TextBlock) and tail.text[-1:].isspace():
            raise invalid_request(MSG_TRAILING_WHITESPACE)


def _check_block(block: object, path: list[str | int], *, role: str) -> None:
    if role == "system" and not isinstance(block, TextBlock | ToolAdditionBlock | ToolRemovalBlock):
        # System messages hold text or tool changes (the SDK's BetaSystemMessageParam);
        # the role-specific model would report the block's type like this.
        raise invalid_request(
            join_path([*path, "type"], "Input should be 'text', 'tool_addition' or 'tool_removal'")
        )
    if role != "system" and isinstance(block, ToolAdditionBlock | ToolRemovalBlock):
        raise invalid_request(join_path([*path, "type"], MSG_TOOL_CHANGE_OUTSIDE_SYSTEM))
    if isinstance(block, TextBlock):
        if not block.text:
            raise invalid_request(MSG_EMPTY_TEXT_BLOCK)
        if block.text.isspace():
            raise invalid_request(MSG_BLANK_TEXT_BLOCK)
    _check_media(block, path)


def _check_media(block: object, path: list[str | int]) -> None:
    """Reject base64 payloads that do not decode (images and PDFs, also inside results)."""
    if isinstance(block, ImageBlock | DocumentBlock):
        tag = "image" if isinstance(block, ImageBlock) else "document"
        source = block.source
        if isinstance(source, Base64ImageSource | Base64PdfSource):
            _check_base64(source.data, [*path, tag, "source", "base64"], tag)
        elif isinstance(source, ContentSource) and isinstance(source.content, list):
            for i, item in enumerate(source.content):
                _check_media(item, [*path, tag, "source", "content", "content", i])
    elif isinstance(block, ToolResultBlock) and isinstance(block.content, list):
        for i, part in enumerate(block.content):
            _check_media(part, [*path, "tool_result", "content", i])


def _check_base64(data: str, path: list[str | int], kind: str) -> None:
    if not data:
        raise invalid_request(join_path(path, f"{kind} cannot be empty"))
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise invalid_request(join_path(path, "invalid base64 data")) from None


def _check_tool_pairing(messages: Sequence[Message]) -> None:
    """Every tool_result answers the previous assistant turn, which must be fully answered.

    Consecutive messages of one role form one turn (the API merges them) and system
    messages are transparent, so pairing is checked between turns, not list entries.
    """
    offered: dict[str, int] = {}  # tool_use id of the previous assistant turn -> message index
    for role, members in _turns(messages):
        if role == "assistant":
            offered = {
                block.id: index
                for index, message in members
                if isinstance(message.content, list)
                for block in message.content
                if isinstance(block, ToolUseBlock)
            }
            continue
        answered: set[str] = set()
        for index, message in members:
            if not isinstance(message.content, list):
                continue
            for position, block in enumerate(message.content):
                if not isinstance(block, ToolResultBlock):
                    continue
                if block.tool_use_id not in offered:
                    raise invalid_request(
                        join_path(
                            ["messages", index, "content", position],
                            "unexpected `tool_use_id` found in `tool_result` blocks: "
                            f"{block.tool_use_id}. Each `tool_result` block must have a "
                            "corresponding `tool_use` block in the previous message.",
                        )
                    )
                answered.add(block.tool_use_id)
        _raise_unanswered({k: v for k, v in offered.items() if k not in answered})
        offered = {}
    # A trailing assistant turn with tool_use is a prefill; the API lets it through.


def _turns(messages: Sequence[Message]) -> list[tuple[str, list[tuple[int, Message]]]]:
    """Runs of one role, each member with its index; system messages are left out."""
    turns: list[tuple[str, list[tuple[int, Message]]]] = []
    for index, message in enumerate(messages):
        if message.role == "system":
            continue
        if turns and turns[-1][0] == message.role:
            turns[-1][1].append((index, message))
        else:
            turns.append((message.role, [(index, message)]))
    return turns


def _raise_unanswered(unanswered: dict[str, int]) -> None:
    if unanswered:
        index = min(unanswered.values())
        ids = ", ".join(unanswered)
        raise invalid_request(
            join_path(
                ["messages", index],
                f"`tool_use` ids were found without `tool_result` blocks immediately after: "
                f"{ids}. Each `tool_use` block must have a corresponding `tool_result` block "
                "in the next message.",
            )
        )
