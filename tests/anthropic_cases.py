"""Request bodies for ``POST /v1/messages``: malformed ones with the API's exact error,
and valid ones covering the breadth of the schema.

A data table only (no tests), so unit tests of the validator and functional tests of
the HTTP route can share it. Each malformed body has exactly one problem.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

MODEL = "claude-sonnet-4-20250514"
PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
PDF_B64 = "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK"
WEATHER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"location": {"type": "string"}},
    "required": ["location"],
}
WEATHER_TOOL: dict[str, Any] = {
    "name": "get_weather",
    "description": "Current weather",
    "input_schema": WEATHER_SCHEMA,
}


@dataclass(frozen=True)
class MalformedCase:
    id: str
    body: dict[str, Any]
    status: int
    message: str


def body(**overrides: Any) -> dict[str, Any]:
    """A minimal valid body with ``overrides`` applied (a value of ``...`` deletes the key)."""
    result: dict[str, Any] = {
        "model": MODEL,
        "max_tokens": 256,
        "messages": [{"role": "user", "content": "Hello"}],
    }
    for key, value in copy.deepcopy(overrides).items():
        if value is ...:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def user(*blocks: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"role": "user", "content": list(blocks)}]


def tool_round(result: dict[str, Any]) -> list[dict[str, Any]]:
    """user -> assistant tool_use (toolu_1) -> user with ``result`` as its only block."""
    return [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}],
        },
        {"role": "user", "content": [result]},
    ]


def _image(source: dict[str, Any]) -> dict[str, Any]:
    return {"type": "image", "source": source}


_CONTENT_TAGS = (
    "'text', 'image', 'document', 'search_result', 'tool_use', 'tool_result', 'thinking', "
    "'redacted_thinking', 'server_tool_use', 'web_search_tool_result', 'web_fetch_tool_result', "
    "'code_execution_tool_result', 'bash_code_execution_tool_result', "
    "'text_editor_code_execution_tool_result', 'tool_search_tool_result', 'container_upload', "
    "'tool_addition', 'tool_removal'"
)
_THINKING = {"type": "enabled", "budget_tokens": 1024}
_THINKING_DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"


def _case(id: str, message: str, **overrides: Any) -> MalformedCase:
    return MalformedCase(id, body(**overrides), 400, message)


MALFORMED: list[MalformedCase] = [
    # --- required fields and top-level types
    _case("missing_model", "model: Field required", model=...),
    _case("missing_max_tokens", "max_tokens: Field required", max_tokens=...),
    _case("missing_messages", "messages: Field required", messages=...),
    _case("empty_messages", "messages: at least one message is required", messages=[]),
    _case("model_not_string", "model: Input should be a valid string", model=4),
    _case(
        "max_tokens_negative",
        "max_tokens: Input should be greater than or equal to 0",
        max_tokens=-1,
    ),
    _case(
        "max_tokens_not_int",
        "max_tokens: Input should be a valid integer, unable to parse string as an integer",
        max_tokens="lots",
    ),
    _case(
        "temperature_above_1",
        "temperature: Input should be less than or equal to 1",
        temperature=1.5,
    ),
    _case(
        "temperature_negative",
        "temperature: Input should be greater than or equal to 0",
        temperature=-0.1,
    ),
    _case("top_p_above_1", "top_p: Input should be less than or equal to 1", top_p=2),
    _case("top_k_negative", "top_k: Input should be greater than or equal to 0", top_k=-5),
    _case(
        "stop_sequences_not_list",
        "stop_sequences: Input should be a valid list",
        stop_sequences="X",
    ),
    _case(
        "stream_not_bool",
        "stream: Input should be a valid boolean, unable to interpret input",
        stream="sometimes",
    ),
    _case(
        "service_tier_unknown",
        "service_tier: Input should be 'auto' or 'standard_only'",
        service_tier="priority",
    ),
    _case(
        "metadata_user_id_not_string",
        "metadata.user_id: Input should be a valid string",
        metadata={"user_id": 42},
    ),
    _case(
        "metadata_not_object",
        "metadata: Input should be a valid dictionary or object to extract fields from",
        metadata="user-1",
    ),
    _case("speed_unknown", "speed: Input should be 'standard' or 'fast'", speed="turbo"),
    _case(
        "output_config_bad_effort",
        "output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'",
        output_config={"effort": "extreme"},
    ),
    _case(
        "output_config_format_without_schema",
        "output_config.format.json_schema.schema: Field required",
        output_config={"format": {"type": "json_schema"}},
    ),
    _case(
        "container_skill_bad_type",
        "container.skills.0.type: Input should be 'anthropic' or 'custom'",
        container={"skills": [{"skill_id": "pptx", "type": "builtin"}]},
    ),
    # --- messages and content blocks
    _case(
        "bad_role",
        "messages.0.role: Input should be 'user', 'assistant' or 'system'",
        messages=[{"role": "tool", "content": "x"}],
    ),
    _case(
        "message_without_content",
        "messages.0.content: Field required",
        messages=[{"role": "user"}],
    ),
    _case(
        "content_wrong_type",
        "messages.0.content: Input should be a valid string",
        messages=[{"role": "user", "content": 7}],
    ),
    _case(
        "content_item_not_object",
        "messages.0.content.0: Input should be a valid dictionary or object to extract fields from",
        messages=[{"role": "user", "content": ["Hello"]}],
    ),
    _case(
        "block_without_type",
        "messages.0.content.0: Unable to extract tag using discriminator 'type'",
        messages=user({"text": "Hello"}),
    ),
    _case(
        "block_unknown_type",
        "messages.0.content.0: Input tag 'video' found using 'type' does not match any of "
        f"the expected tags: {_CONTENT_TAGS}",
        messages=user({"type": "video", "url": "https://example.com/v.mp4"}),
    ),
    _case(
        "text_block_without_text",
        "messages.0.content.0.text.text: Field required",
        messages=user({"type": "text"}),
    ),
    _case(
        "image_bad_media_type",
        "messages.0.content.0.image.source.base64.media_type: Input should be 'image/jpeg', "
        "'image/png', 'image/gif' or 'image/webp'",
        messages=user(_image({"type": "base64", "media_type": "image/bmp", "data": PNG_B64})),
    ),
    _case(
        "image_unknown_source",
        "messages.0.content.0.image.source: Input tag 'path' found using 'type' does not "
        "match any of the expected tags: 'base64', 'url', 'file'",
        messages=user(_image({"type": "path", "path": "/tmp/x.png"})),
    ),
    _case(
        "image_invalid_base64",
        "messages.0.content.0.image.source.base64: invalid base64 data",
        messages=user(_image({"type": "base64", "media_type": "image/png", "data": "not*b64!"})),
    ),
    _case(
        "image_empty_data",
        "messages.0.content.0.image.source.base64: image cannot be empty",
        messages=user(_image({"type": "base64", "media_type": "image/png", "data": ""})),
    ),
    _case(
        "document_pdf_wrong_media_type",
        "messages.0.content.0.document.source.base64.media_type: Input should be 'application/pdf'",
        messages=user(
            {
                "type": "document",
                "source": {"type": "base64", "media_type": "text/plain", "data": PDF_B64},
            }
        ),
    ),
    _case(
        "tool_use_input_not_object",
        "messages.1.content.0.tool_use.input: Input should be a valid dictionary",
        messages=[
            {"role": "user", "content": "Hi"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": "{}"}],
            },
        ],
    ),
    _case(
        "tool_result_without_id",
        "messages.2.content.0.tool_result.tool_use_id: Field required",
        messages=tool_round({"type": "tool_result", "content": "18C"}),
    ),
    _case(
        "nested_image_in_tool_result_bad_media_type",
        "messages.2.content.0.tool_result.content.0.image.source.base64.media_type: Input "
        "should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'",
        messages=tool_round(
            {
                "type": "tool_result",
                "tool_use_id": "toolu_1",
                "content": [_image({"type": "base64", "media_type": "image/tiff", "data": "AA=="})],
            }
        ),
        tools=[WEATHER_TOOL],
    ),
    _case(
        "cache_control_unknown_type",
        "system.0.cache_control: Input tag 'persistent' found using 'type' does not match any "
        "of the expected tags: 'ephemeral'",
        system=[{"type": "text", "text": "Be brief.", "cache_control": {"type": "persistent"}}],
    ),
    _case(
        "cache_control_bad_ttl",
        "messages.0.content.0.text.cache_control.ephemeral.ttl: Input should be '5m' or '1h'",
        messages=user(
            {"type": "text", "text": "Hi", "cache_control": {"type": "ephemeral", "ttl": "2h"}}
        ),
    ),
    _case("system_wrong_type", "system: Input should be a valid string", system=5),
    _case(
        "system_message_with_image",
        "messages.1.content.0.type: Input should be 'text', 'tool_addition' or 'tool_removal'",
        messages=[
            {"role": "user", "content": "Hi"},
            {"role": "system", "content": [_image({"type": "url", "url": "https://x/y.png"})]},
        ],
    ),
    # --- tools and tool_choice
    _case(
        "tool_name_bad_chars",
        "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'",
        tools=[{**WEATHER_TOOL, "name": "weather.get"}],
    ),
    _case(
        "tool_without_input_schema",
        "tools.0.custom.input_schema: Field required",
        tools=[{"name": "get_weather"}],
    ),
    _case(
        "tool_schema_not_object",
        "tools.0.custom.input_schema.type: Input should be 'object'",
        tools=[{"name": "get_weather", "input_schema": {"type": "array"}}],
    ),
    _case(
        "server_tool_bad_max_uses",
        "tools.0.web_search_20250305.max_uses: Input should be greater than or equal to 1",
        tools=[{"type": "web_search_20250305", "name": "web_search", "max_uses": 0}],
    ),
    _case(
        "tool_choice_unknown_type",
        "tool_choice: Input tag 'required' found using 'type' does not match any of the "
        "expected tags: 'auto', 'any', 'tool', 'none'",
        tools=[WEATHER_TOOL],
        tool_choice={"type": "required"},
    ),
    _case(
        "tool_choice_tool_without_name",
        "tool_choice.tool.name: Field required",
        tools=[WEATHER_TOOL],
        tool_choice={"type": "tool"},
    ),
    _case(
        "tool_choice_names_missing_tool",
        "tool_choice.tool.name: Tool 'get_time' not found in the provided `tools`",
        tools=[WEATHER_TOOL],
        tool_choice={"type": "tool", "name": "get_time"},
    ),
    _case(
        "tool_choice_without_tools",
        "tool_choice: tool_choice may only be specified while providing tools.",
        tool_choice={"type": "any"},
    ),
    _case(
        "duplicate_tool_names",
        "tools: Tool names must be unique.",
        tools=[WEATHER_TOOL, WEATHER_TOOL],
    ),
    # --- thinking
    _case(
        "thinking_budget_below_minimum",
        "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
        thinking={"type": "enabled", "budget_tokens": 512},
        max_tokens=4096,
    ),
    _case(
        "thinking_budget_not_below_max_tokens",
        "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our "
        f"documentation at {_THINKING_DOCS}#max-tokens-and-context-window-size",
        thinking={"type": "enabled", "budget_tokens": 2048},
        max_tokens=2048,
    ),
    _case(
        "thinking_with_temperature",
        "`temperature` may only be set to 1 when thinking is enabled or in adaptive mode. "
        "Please consult our documentation at "
        "https://platform.claude.com/docs/en/build-with-claude/extended-thinking",
        thinking={"type": "adaptive"},
        temperature=0.2,
    ),
    _case(
        "thinking_with_top_k",
        "`top_k` must be unset when thinking is enabled. Please consult our documentation at "
        f"{_THINKING_DOCS}#important-considerations-when-using-extended-thinking",
        thinking=_THINKING,
        max_tokens=4096,
        top_k=40,
    ),
    _case(
        "thinking_with_forced_tool",
        "Thinking may not be enabled when tool_choice forces tool use.",
        thinking=_THINKING,
        max_tokens=4096,
        tools=[WEATHER_TOOL],
        tool_choice={"type": "any"},
    ),
    _case(
        "thinking_unknown_type",
        "thinking: Input tag 'on' found using 'type' does not match any of the expected tags: "
        "'enabled', 'disabled', 'between_tools', 'adaptive'",
        thinking={"type": "on"},
    ),
    _case(
        "thinking_bad_display",
        "thinking.adaptive.display: Input should be 'summarized' or 'omitted'",
        thinking={"type": "adaptive", "display": "full"},
    ),
    # --- conversation rules
    _case(
        "empty_message_content",
        "messages.0: all messages must have non-empty content except for the optional final "
        "assistant message",
        messages=[{"role": "user", "content": ""}, {"role": "assistant", "content": "Hi"}],
    ),
    _case(
        "empty_text_block",
        "messages: text content blocks must be non-empty",
        messages=user({"type": "text", "text": "Look:"}, {"type": "text", "text": ""}),
    ),
    _case(
        "whitespace_text_block",
        "messages: text content blocks must contain non-whitespace text",
        messages=user({"type": "text", "text": "  \n"}),
    ),
    _case(
        "final_assistant_trailing_whitespace",
        "messages: final assistant content cannot end with trailing whitespace",
        messages=[
            {"role": "user", "content": "Name a colour"},
            {"role": "assistant", "content": "The colour is "},
        ],
    ),
    _case(
        "tool_result_without_tool_use",
        "messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: "
        "toolu_9. Each `tool_result` block must have a corresponding `tool_use` block in the "
        "previous message.",
        messages=user({"type": "tool_result", "tool_use_id": "toolu_9", "content": "42"}),
    ),
    _case(
        "tool_use_without_tool_result",
        "messages.1: `tool_use` ids were found without `tool_result` blocks immediately "
        "after: toolu_1. Each `tool_use` block must have a corresponding `tool_result` block "
        "in the next message.",
        messages=tool_round({"type": "text", "text": "never mind"}),
        tools=[WEATHER_TOOL],
    ),
]


def _valid(id: str, **overrides: Any) -> tuple[str, dict[str, Any]]:
    return id, body(**overrides)


_ALL_TOOLS_SERVER: list[dict[str, Any]] = [
    {"type": "bash_20250124", "name": "bash"},
    {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool", "max_characters": 9},
    {
        "type": "web_search_20250305",
        "name": "web_search",
        "max_uses": 3,
        "allowed_domains": ["example.com"],
        "user_location": {"type": "approximate", "city": "Paris", "country": "FR"},
    },
    {"type": "web_fetch_20250910", "name": "web_fetch", "citations": {"enabled": True}},
    {"type": "code_execution_20250825", "name": "code_execution"},
    {"type": "memory_20250818", "name": "memory"},
    {"type": "tool_search_tool_bm25_20251119", "name": "tool_search_tool_bm25"},
    {"type": "tool_search_tool_regex", "name": "tool_search_tool_regex"},
    # a version newer than any SDK knows is accepted by family
    {"type": "web_fetch_20270101", "name": "web_fetch_next", "use_cache": False},
]

VALID_BODIES: list[tuple[str, dict[str, Any]]] = [
    _valid("minimal"),
    _valid(
        "classic_sampling_params",
        system="You are terse.",
        messages=[
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": "Count to 3"},
        ],
        temperature=0.3,
        top_p=0.9,
        top_k=20,
        stop_sequences=["4"],
        stream=True,
        metadata={"user_id": "u-123"},
        service_tier="standard_only",
    ),
    _valid(
        "system_blocks_and_cache_control",
        system=[
            {"type": "text", "text": "Rules", "cache_control": {"type": "ephemeral", "ttl": "1h"}},
            {"type": "text", "text": "More rules"},
        ],
        cache_control={"type": "ephemeral"},
        max_tokens=0,  # cache pre-warm
    ),
    _valid(
        "images_every_source",
        messages=user(
            _image({"type": "base64", "media_type": "image/png", "data": PNG_B64}),
            _image({"type": "url", "url": "https://example.com/cat.jpg"}),
            {
                "type": "image",
                "source": {"type": "file", "file_id": "file_1"},
                "cache_control": {"type": "ephemeral"},
            },
            {"type": "text", "text": "Compare these."},
        ),
    ),
    _valid(
        "documents_every_source",
        messages=user(
            {
                "type": "document",
                "source": {"type": "base64", "media_type": "application/pdf", "data": PDF_B64},
                "title": "Report",
                "context": "Q3",
                "citations": {"enabled": True},
            },
            {
                "type": "document",
                "source": {"type": "text", "media_type": "text/plain", "data": "Plain text."},
            },
            {
                "type": "document",
                "source": {"type": "content", "content": [{"type": "text", "text": "chunk"}]},
            },
            {"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}},
            {"type": "document", "source": {"type": "file", "file_id": "file_2"}},
            {"type": "text", "text": "Summarise."},
        ),
    ),
    _valid(
        "search_result_and_citations",
        messages=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "search_result",
                        "source": "https://example.com",
                        "title": "Example",
                        "content": [{"type": "text", "text": "Example text"}],
                        "citations": {"enabled": True},
                    },
                    {"type": "text", "text": "What does it say?"},
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "text",
                        "text": "It says example text.",
                        "citations": [
                            {
                                "type": "search_result_location",
                                "cited_text": "Example text",
                                "source": "https://example.com",
                                "title": "Example",
                                "search_result_index": 0,
                                "start_block_index": 0,
                                "end_block_index": 1,
                            }
                        ],
                    }
                ],
            },
            {"role": "user", "content": "Thanks"},
        ],
    ),
    _valid(
        "tool_round_trip_auto",
        tools=[
            {
                **WEATHER_TOOL,
                "type": "custom",
                "strict": True,
                "cache_control": {"type": "ephemeral"},
                "input_schema": {**WEATHER_SCHEMA, "additionalProperties": False},
            }
        ],
        tool_choice={"type": "auto", "disable_parallel_tool_use": True},
        messages=[
            *tool_round(
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "content": [
                        {"type": "text", "text": "18C"},
                        _image({"type": "url", "url": "https://example.com/map.png"}),
                        {"type": "tool_reference", "tool_name": "get_weather"},
                    ],
                    "is_error": False,
                }
            ),
            {"role": "assistant", "content": "It is 18C."},
            {"role": "user", "content": "Thanks"},
        ],
    ),
    _valid("tool_choice_any", tools=[WEATHER_TOOL], tool_choice={"type": "any"}),
    _valid(
        "tool_choice_named",
        tools=[WEATHER_TOOL],
        tool_choice={"type": "tool", "name": "get_weather", "disable_parallel_tool_use": False},
    ),
    _valid("tool_choice_none", tools=[WEATHER_TOOL], tool_choice={"type": "none"}),
    _valid(
        "server_tools_and_blocks",
        tools=_ALL_TOOLS_SERVER,
        messages=[
            {"role": "user", "content": "Search and run code"},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "server_tool_use",
                        "id": "srvtoolu_1",
                        "name": "web_search",
                        "input": {"query": "weather"},
                    },
                    {
                        "type": "web_search_tool_result",
                        "tool_use_id": "srvtoolu_1",
                        "content": [
                            {
                                "type": "web_search_result",
                                "url": "https://example.com",
                                "title": "Example",
                                "encrypted_content": "abc",
                            }
                        ],
                    },
                    {
                        "type": "code_execution_tool_result",
                        "tool_use_id": "srvtoolu_2",
                        "content": {
                            "type": "code_execution_result",
                            "stdout": "1",
                            "stderr": "",
                            "return_code": 0,
                            "content": [],
                        },
                    },
                    {"type": "text", "text": "Done."},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "container_upload", "file_id": "file_3"},
                    {"type": "text", "text": "Use this file"},
                ],
            },
        ],
    ),
    _valid(
        "thinking_enabled_with_history",
        thinking={"type": "enabled", "budget_tokens": 2048, "display": "summarized"},
        max_tokens=4096,
        temperature=1,
        messages=[
            {"role": "user", "content": "Think about it"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "Hmm.", "signature": "c2ln"},
                    {"type": "redacted_thinking", "data": "ZW5jcnlwdGVk"},
                    {"type": "text", "text": "Here is my answer."},
                ],
            },
            {"role": "user", "content": "And again"},
        ],
    ),
    _valid("thinking_adaptive", thinking={"type": "adaptive", "display": "omitted"}),
    _valid(
        "thinking_disabled_with_forced_tool",
        thinking={"type": "disabled"},
        tools=[WEATHER_TOOL],
        tool_choice={"type": "any"},
    ),
    _valid(
        "newer_fields",
        container={"id": "container_1", "skills": [{"skill_id": "pptx", "type": "anthropic"}]},
        inference_geo="us",
        output_config={
            "effort": "high",
            "format": {"type": "json_schema", "schema": {"type": "object"}},
        },
        diagnostics={"previous_message_id": "msg_1"},
        speed="fast",
        workspace_id="wrkspc_1",
        user_profile_id="prof_1",
        context_management={"edits": [{"type": "clear_tool_uses_20250919"}]},
        mcp_servers=[{"type": "url", "url": "https://mcp.example.com", "name": "ex"}],
    ),
    _valid("container_as_string", container="container_1"),
    _valid(
        "mid_conversation_system_message_and_prefill",
        messages=[
            {"role": "user", "content": "Hi"},
            {"role": "system", "content": [{"type": "text", "text": "Answer in French."}]},
            {"role": "assistant", "content": "Je"},
        ],
    ),
]
