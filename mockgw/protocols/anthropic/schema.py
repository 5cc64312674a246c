"""Pydantic models of the Anthropic Messages request body (``/v1/messages``).

The shapes follow the official SDK's ``MessageCreateParams`` (0.121 and 2.12): every
field either generation can send is declared, so that the only "unknown" fields are
ones no SDK would produce. All models use ``extra="allow"``: unknown keys are kept so
:mod:`.validate` can list them (or reject them in strict mode) with the real API's
``Extra inputs are not permitted`` wording instead of failing on the first one.

Why every union is a *callable* discriminated union: the real API reports union
members by tag in its error paths (``messages.0.content.0.image.source.base64.data``,
``tools.0.custom.name``, ``thinking.enabled.budget_tokens``). A callable discriminator
validates exactly one member - cheap on the hot path, and pydantic never produces
one error per union branch that would then have to be ranked. Tags carry a one-char
prefix that tells :mod:`.validation_errors` how to render them in a path:

* ``=name`` - a literal tag, rendered as ``name``;
* ``~family`` - a family of versioned types (``web_search_20250305``...), rendered
  as the request's actual ``type`` value;
* ``#shape`` - a structural choice (string or list), not rendered at all.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

__all__ = [
    "KNOWN_SERVER_TOOL_TYPES",
    "SERVER_TOOL_FAMILIES",
    "TAG_EXPANSIONS",
    "ContentBlock",
    "CountTokensRequest",
    "CustomTool",
    "ImageBlock",
    "Message",
    "MessagesRequest",
    "ServerTool",
    "TextBlock",
    "ToolResultBlock",
    "ToolUseBlock",
    "TypeTagger",
]


class _Model(BaseModel):
    # extra="allow" keeps unknown keys in ``__pydantic_extra__`` for the unknown-field
    # report; the other settings keep validation cheap (no copying, no re-validation).
    model_config = ConfigDict(extra="allow", revalidate_instances="never")

    # Free-form objects (JSON Schemas) whose extra keys are legitimate content.
    freeform: ClassVar[bool] = False

    @property
    def path_tag(self) -> str:
        """The tag the real API puts in a path after this object, if it is a union member."""
        return str(getattr(self, "type", ""))


class TypeTagger:
    """Callable discriminator tagging a value by its ``type`` key (see module docstring).

    ``families`` maps versioned type names onto one ``~family`` tag; ``default`` is the
    tag used when ``type`` is absent or null (custom tools); otherwise a missing type
    yields no tag, which pydantic reports as ``union_tag_not_found``.
    """

    def __init__(
        self,
        families: tuple[tuple[re.Pattern[str], str], ...] = (),
        default: str | None = None,
    ) -> None:
        self.families = families
        self.default = default
        self.__name__ = "type"  # pydantic names a callable discriminator in its messages

    def __call__(self, value: Any) -> str | None:
        kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
        if kind is None:
            return self.default if isinstance(value, dict | BaseModel) else None
        if isinstance(kind, str):
            for pattern, family in self.families:
                if pattern.fullmatch(kind):
                    return "~" + family
        return f"={kind}"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _shape(value: Any) -> str:
    # A non-list non-string is reported against the string branch ("Input should be a
    # valid string"), which is what pydantic's smart union would list first.
    return "#list" if isinstance(value, list) else "#str"


def _obj_shape(value: Any) -> str:
    return "#str" if isinstance(value, str) else "#obj"


# --- shared pieces ---------------------------------------------------------------------


class CacheControl(_Model):
    type: Literal["ephemeral"]
    ttl: Literal["5m", "1h"] | None = None


CacheControlField = Annotated[
    Annotated[CacheControl, Tag("=ephemeral")], Discriminator(TypeTagger())
]


class CitationsConfig(_Model):
    enabled: bool | None = None


class TextBlock(_Model):
    type: Literal["text"]
    text: str
    cache_control: CacheControlField | None = None
    # Citation objects come back from responses in many shapes; kept free-form.
    citations: list[dict[str, Any]] | None = None


# --- images and documents ----------------------------------------------------------------


class Base64ImageSource(_Model):
    type: Literal["base64"]
    media_type: Literal["image/jpeg", "image/png", "image/gif", "image/webp"]
    data: str


class UrlSource(_Model):
    type: Literal["url"]
    url: str


class FileSource(_Model):
    type: Literal["file"]
    file_id: str


ImageSource = Annotated[
    Annotated[Base64ImageSource, Tag("=base64")]
    | Annotated[UrlSource, Tag("=url")]
    | Annotated[FileSource, Tag("=file")],
    Discriminator(TypeTagger()),
]


class ImageTransformations(_Model):
    oversized_image: Literal["downsize", "error"] | None = None


class ImageBlock(_Model):
    type: Literal["image"]
    source: ImageSource
    cache_control: CacheControlField | None = None
    transformations: ImageTransformations | None = None


class Base64PdfSource(_Model):
    type: Literal["base64"]
    media_type: Literal["application/pdf"]
    data: str


class PlainTextSource(_Model):
    type: Literal["text"]
    media_type: Literal["text/plain"]
    data: str


DocumentContentItem = Annotated[
    Annotated[TextBlock, Tag("=text")] | Annotated[ImageBlock, Tag("=image")],
    Discriminator(TypeTagger()),
]


class ContentSource(_Model):
    type: Literal["content"]
    content: Annotated[
        Annotated[str, Tag("#str")] | Annotated[list[DocumentContentItem], Tag("#list")],
        Discriminator(_shape),
    ]


DocumentSource = Annotated[
    Annotated[Base64PdfSource, Tag("=base64")]
    | Annotated[PlainTextSource, Tag("=text")]
    | Annotated[ContentSource, Tag("=content")]
    | Annotated[UrlSource, Tag("=url")]
    | Annotated[FileSource, Tag("=file")],
    Discriminator(TypeTagger()),
]


class DocumentBlock(_Model):
    type: Literal["document"]
    source: DocumentSource
    title: str | None = None
    context: str | None = None
    citations: CitationsConfig | None = None
    cache_control: CacheControlField | None = None


class SearchResultBlock(_Model):
    type: Literal["search_result"]
    source: str
    title: str
    content: list[TextBlock]
    citations: CitationsConfig | None = None
    cache_control: CacheControlField | None = None


# --- tool use and results -------------------------------------------------------------------


class ToolUseBlock(_Model):
    type: Literal["tool_use"]
    id: str
    name: str
    input: dict[str, Any]
    cache_control: CacheControlField | None = None
    caller: dict[str, Any] | None = None
    toolset_name: str | None = None


class ToolReferenceBlock(_Model):
    type: Literal["tool_reference"]
    tool_name: str
    cache_control: CacheControlField | None = None


class BrowserStateBlock(_Model):
    type: Literal["browser_state"]
    tabs: list[dict[str, Any]]
    state_changes: list[dict[str, Any]] | None = None
    cache_control: CacheControlField | None = None


ToolResultItem = Annotated[
    Annotated[TextBlock, Tag("=text")]
    | Annotated[ImageBlock, Tag("=image")]
    | Annotated[SearchResultBlock, Tag("=search_result")]
    | Annotated[DocumentBlock, Tag("=document")]
    | Annotated[ToolReferenceBlock, Tag("=tool_reference")]
    | Annotated[BrowserStateBlock, Tag("=browser_state")],
    Discriminator(TypeTagger()),
]


class ToolResultBlock(_Model):
    type: Literal["tool_result"]
    tool_use_id: str
    content: (
        Annotated[
            Annotated[str, Tag("#str")] | Annotated[list[ToolResultItem], Tag("#list")],
            Discriminator(_shape),
        ]
        | None
    ) = None
    is_error: bool | None = None
    cache_control: CacheControlField | None = None
    toolset_name: str | None = None


class ThinkingBlock(_Model):
    type: Literal["thinking"]
    thinking: str
    signature: str


class RedactedThinkingBlock(_Model):
    type: Literal["redacted_thinking"]
    data: str


class ServerToolUseBlock(_Model):
    type: Literal["server_tool_use"]
    id: str
    name: str
    input: dict[str, Any]
    cache_control: CacheControlField | None = None
    caller: dict[str, Any] | None = None


# Results of server tools (web search, code execution...) are passed back verbatim from
# earlier responses; their payloads vary by tool and version, so content is free-form.
SERVER_RESULT_BLOCK_TYPES: tuple[str, ...] = _words(
    """
    web_search_tool_result web_fetch_tool_result code_execution_tool_result
    bash_code_execution_tool_result text_editor_code_execution_tool_result
    tool_search_tool_result
    """
)
SERVER_RESULT_TYPES = re.compile("|".join(SERVER_RESULT_BLOCK_TYPES))


class ServerToolResultBlock(_Model):
    type: str
    tool_use_id: str
    content: Any
    cache_control: CacheControlField | None = None
    caller: dict[str, Any] | None = None


class ContainerUploadBlock(_Model):
    type: Literal["container_upload"]
    file_id: str
    cache_control: CacheControlField | None = None


# Beta mid-conversation tool changes: a role "system" message may add or withdraw a tool
# (what the SDK's tool runner sends on add_tools/remove_tools). The tool reference has
# several shapes that change with the betas, so it is accepted without inspection.
class ToolAdditionBlock(_Model):
    type: Literal["tool_addition"]
    tool: dict[str, Any]
    cache_control: CacheControlField | None = None


class ToolRemovalBlock(_Model):
    type: Literal["tool_removal"]
    tool: dict[str, Any]
    cache_control: CacheControlField | None = None


ContentBlock = Annotated[
    Annotated[TextBlock, Tag("=text")]
    | Annotated[ImageBlock, Tag("=image")]
    | Annotated[DocumentBlock, Tag("=document")]
    | Annotated[SearchResultBlock, Tag("=search_result")]
    | Annotated[ToolUseBlock, Tag("=tool_use")]
    | Annotated[ToolResultBlock, Tag("=tool_result")]
    | Annotated[ThinkingBlock, Tag("=thinking")]
    | Annotated[RedactedThinkingBlock, Tag("=redacted_thinking")]
    | Annotated[ServerToolUseBlock, Tag("=server_tool_use")]
    | Annotated[ServerToolResultBlock, Tag("~server_tool_result")]
    | Annotated[ContainerUploadBlock, Tag("=container_upload")]
    | Annotated[ToolAdditionBlock, Tag("=tool_addition")]
    | Annotated[ToolRemovalBlock, Tag("=tool_removal")],
    Discriminator(TypeTagger(families=((SERVER_RESULT_TYPES, "server_tool_result"),))),
]


class Message(_Model):
    # The 2.x SDK's MessageParam adds a "system" role (mid-conversation system
    # messages); its content may only be text, which validate.py enforces.
    role: Literal["user", "assistant", "system"]
    content: Annotated[
        Annotated[str, Tag("#str")] | Annotated[list[ContentBlock], Tag("#list")],
        Discriminator(_shape),
    ]
    # Beta, system messages only (validate.py): how long the text stays, per-turn effort.
    clear_at: Literal["next_user_message", "never"] | None = None
    output_config: SystemMessageOutputConfig | None = None


class SystemMessageOutputConfig(_Model):
    # "format remains top-level only" (the SDK's BetaSystemMessageOutputConfigParam).
    effort: Literal["low", "medium", "high", "xhigh", "max"] | None = None


# --- tools ---------------------------------------------------------------------------------


class InputSchema(_Model):
    freeform: ClassVar[bool] = True  # any JSON Schema keyword may appear

    type: Literal["object"]
    properties: dict[str, Any] | None = None
    required: list[str] | None = None


class CustomTool(_Model):
    name: Annotated[str, Field(pattern=r"^[a-zA-Z0-9_-]{1,128}$")]
    input_schema: InputSchema
    description: str | None = None
    type: Literal["custom"] | None = None
    cache_control: CacheControlField | None = None
    strict: bool | None = None
    defer_loading: bool | None = None
    eager_input_streaming: bool | None = None
    input_examples: list[dict[str, Any]] | None = None
    allowed_callers: list[str] | None = None

    @property
    def path_tag(self) -> str:
        return "custom"


class ServerTool(_Model):
    """Any Anthropic-defined tool; the union below admits only known type families.

    One model carries the union of the families' fields: the SDK's per-version models
    differ only by which of these optional fields exist, and a tool version the SDK
    does not know yet (``web_search_20270101``) must still be accepted.
    """

    type: str
    name: str | None = None
    cache_control: CacheControlField | None = None
    strict: bool | None = None
    defer_loading: bool | None = None
    allowed_callers: list[str] | None = None
    input_examples: list[dict[str, Any]] | None = None
    # web_search / web_fetch
    allowed_domains: list[str] | None = None
    blocked_domains: list[str] | None = None
    max_uses: Annotated[int, Field(ge=1)] | None = None
    user_location: dict[str, Any] | None = None
    response_inclusion: Literal["full", "excluded"] | None = None
    citations: CitationsConfig | None = None
    max_content_tokens: Annotated[int, Field(ge=1)] | None = None
    url_sources: dict[str, Any] | None = None
    use_cache: bool | None = None
    # text_editor_20250728
    max_characters: Annotated[int, Field(ge=1)] | None = None
    # computer use (beta) and the 2026 toolsets
    display_width_px: int | None = None
    display_height_px: int | None = None
    display_number: int | None = None
    enable_zoom: bool | None = None
    configs: dict[str, Any] | None = None


# Versioned server tool families (``<family>_<yyyymmdd>``) plus the undated aliases the
# SDK also accepts for tool search.
SERVER_TOOL_FAMILIES: tuple[str, ...] = _words(
    """
    bash text_editor web_search web_fetch code_execution memory computer browser_toolset
    computer_toolset tool_search_tool_bm25 tool_search_tool_regex
    """
)
# The server tool types the 2.12 SDK knows, listed when a tool's type is not recognised.
KNOWN_SERVER_TOOL_TYPES: tuple[str, ...] = _words(
    """
    bash_20250124 code_execution_20250522 code_execution_20250825
    code_execution_20260120 code_execution_20260521 browser_toolset_20260801
    memory_20250818 computer_toolset_20260801 text_editor_20250124 text_editor_20250429
    text_editor_20250728 web_search_20250305 web_fetch_20250910 web_search_20260209
    web_fetch_20260209 web_fetch_20260309 web_search_20260318 web_fetch_20260318
    tool_search_tool_bm25_20251119 tool_search_tool_bm25 tool_search_tool_regex_20251119
    tool_search_tool_regex
    """
)
_SERVER_TOOL_TYPE = re.compile(
    r"(?:{})_\d{{8}}|tool_search_tool_(?:bm25|regex)".format("|".join(SERVER_TOOL_FAMILIES))
)

# What a ``~family`` tag stands for when an error lists the expected tags.
TAG_EXPANSIONS: dict[str, tuple[str, ...]] = {
    "server_tool": KNOWN_SERVER_TOOL_TYPES,
    "server_tool_result": SERVER_RESULT_BLOCK_TYPES,
}

Tool = Annotated[
    Annotated[CustomTool, Tag("=custom")] | Annotated[ServerTool, Tag("~server_tool")],
    Discriminator(TypeTagger(families=((_SERVER_TOOL_TYPE, "server_tool"),), default="=custom")),
]


class ToolChoiceAuto(_Model):
    type: Literal["auto"]
    disable_parallel_tool_use: bool | None = None


class ToolChoiceAny(_Model):
    type: Literal["any"]
    disable_parallel_tool_use: bool | None = None


class ToolChoiceTool(_Model):
    type: Literal["tool"]
    name: str
    disable_parallel_tool_use: bool | None = None


class ToolChoiceNone(_Model):
    type: Literal["none"]


ToolChoice = Annotated[
    Annotated[ToolChoiceAuto, Tag("=auto")]
    | Annotated[ToolChoiceAny, Tag("=any")]
    | Annotated[ToolChoiceTool, Tag("=tool")]
    | Annotated[ToolChoiceNone, Tag("=none")],
    Discriminator(TypeTagger()),
]

# --- thinking and other request options ----------------------------------------------------


class ThinkingEnabled(_Model):
    type: Literal["enabled"]
    # ge=1024 here yields the real message
    # "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024".
    budget_tokens: Annotated[int, Field(ge=1024)]
    display: Literal["summarized", "omitted"] | None = None


class ThinkingDisabled(_Model):
    type: Literal["disabled"]


class ThinkingBetweenTools(_Model):
    type: Literal["between_tools"]


class ThinkingAdaptive(_Model):
    type: Literal["adaptive"]
    display: Literal["summarized", "omitted"] | None = None


Thinking = Annotated[
    Annotated[ThinkingEnabled, Tag("=enabled")]
    | Annotated[ThinkingDisabled, Tag("=disabled")]
    | Annotated[ThinkingBetweenTools, Tag("=between_tools")]
    | Annotated[ThinkingAdaptive, Tag("=adaptive")],
    Discriminator(TypeTagger()),
]


class JsonOutputFormat(_Model):
    type: Literal["json_schema"]
    schema_: Annotated[dict[str, Any], Field(alias="schema")]


class OutputConfig(_Model):
    effort: Literal["low", "medium", "high", "xhigh", "max"] | None = None
    format: (
        Annotated[
            Annotated[JsonOutputFormat, Tag("=json_schema")],
            Discriminator(TypeTagger()),
        ]
        | None
    ) = None


class Metadata(_Model):
    user_id: str | None = None


class Skill(_Model):
    skill_id: str
    type: Literal["anthropic", "custom"]
    version: str | None = None


class ContainerParams(_Model):
    id: str | None = None
    skills: list[Skill] | None = None


class Diagnostics(_Model):
    previous_message_id: str | None = None


# --- request bodies -----------------------------------------------------------------------


class CountTokensRequest(_Model):
    """Body of ``POST /v1/messages/count_tokens``: no generation controls."""

    model: str
    messages: Annotated[list[Message], Field(min_length=1)]
    system: (
        Annotated[
            Annotated[str, Tag("#str")] | Annotated[list[TextBlock], Tag("#list")],
            Discriminator(_shape),
        ]
        | None
    ) = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    thinking: Thinking | None = None
    cache_control: CacheControlField | None = None
    output_config: OutputConfig | None = None
    container: (
        Annotated[
            Annotated[str, Tag("#str")] | Annotated[ContainerParams, Tag("#obj")],
            Discriminator(_obj_shape),
        ]
        | None
    ) = None
    inference_geo: str | None = None
    speed: Literal["standard", "fast"] | None = None
    diagnostics: Diagnostics | None = None
    workspace_id: str | None = None
    user_profile_id: str | None = None
    # Beta features: shapes change often, so they are accepted without inspection.
    context_management: dict[str, Any] | None = None
    mcp_servers: list[dict[str, Any]] | None = None
    # The structured-outputs-2025-11-13 beta's place for the format, before
    # output_config.format (output_format.py).
    output_format: (
        Annotated[
            Annotated[JsonOutputFormat, Tag("=json_schema")],
            Discriminator(TypeTagger()),
        ]
        | None
    ) = None


class MessagesRequest(CountTokensRequest):
    """Body of ``POST /v1/messages``."""

    # 0 is accepted: the SDK documents ``max_tokens=0`` as "populate the prompt cache
    # without generating a response", so rejecting it would break cache pre-warming.
    max_tokens: Annotated[int, Field(ge=0)]
    stream: bool | None = None
    stop_sequences: list[str] | None = None
    # Removed from the 2.x SDK's typed params but still accepted by the API (older
    # SDKs, raw HTTP, extra_body).
    temperature: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    top_p: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    top_k: Annotated[int, Field(ge=0)] | None = None
    metadata: Metadata | None = None
    service_tier: Literal["auto", "standard_only"] | None = None
