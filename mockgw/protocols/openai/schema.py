"""Pydantic models of the ``POST /v1/chat/completions`` request body.

The models follow ``CreateChatCompletionRequest`` of OpenAI's OpenAPI spec and every
parameter the ``openai`` 3.x SDK can send. They only describe *shape*; cross-field rules
(tool-call ordering, ``stream_options`` without ``stream``, image URLs …) live in
:mod:`mockgw.protocols.openai.validate`, and turning pydantic errors into OpenAI's wording
lives in :mod:`mockgw.protocols.openai.validation_errors`.

Conventions that keep validation cheap and its errors translatable:

* Every model is ``strict`` (``"1"`` is not an integer, ``0`` is not a boolean, as on the
  real API) and ``extra="allow"``: unknown keys are kept in ``model_extra`` so the caller
  can decide whether they are errors (real OpenAI) or noise (gateways).
* Every union is *tagged* by a callable :class:`~pydantic.Discriminator`, so pydantic
  validates exactly one branch and reports one error instead of one per member. The
  tags (``<role:user>``, ``<type:text>``, ``<json:array>`` …) all appear in
  :data:`UNION_TAGS`; pydantic inserts them into error locations and the error
  translator drops them. When no tag fits, the discriminator raises a custom error
  (:data:`TAGGED_UNION_ERROR` / :data:`SHAPE_UNION_ERROR`) whose context says what was
  expected, which the translator words like OpenAI does.
* Optional parameters accept ``null`` (the real API treats ``null`` as "not given").
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

# Custom pydantic error types raised by the discriminators below (see module docstring).
TAGGED_UNION_ERROR = "mockgw_tagged_union"
SHAPE_UNION_ERROR = "mockgw_shape_union"

_tags: set[str] = set()


class _Model(BaseModel):
    # NaN and infinities are not JSON, though Python's json module decodes them.
    model_config = ConfigDict(extra="allow", strict=True, frozen=True, allow_inf_nan=False)


class _Discriminator(Discriminator):
    """A :class:`Discriminator` usable inside ``Union[...]``.

    ``typing`` hashes the metadata of ``Annotated`` members when it builds a union, and
    the dataclass hash of a discriminator with a ``custom_error_context`` dict fails.
    Identity hashing is enough: each instance is built once, at import.
    """

    def __hash__(self) -> int:
        return id(self)


def _keyed(key: str, values: tuple[str, ...]) -> Discriminator:
    """Discriminate dicts on ``key``; ``values`` is the order OpenAI lists them in errors."""
    tags = {value: f"<{key}:{value}>" for value in values}
    _tags.update(tags.values())

    def pick(item: Any) -> str | None:
        kind = item.get(key) if isinstance(item, dict) else getattr(item, key, None)
        return tags.get(kind) if isinstance(kind, str) else None

    return _Discriminator(
        pick,
        custom_error_type=TAGGED_UNION_ERROR,
        custom_error_message="invalid tagged union member",
        custom_error_context={"key": key, "values": "|".join(values)},
    )


def _tag(key: str, value: str) -> Tag:
    return Tag(f"<{key}:{value}>")


STR = "<json:string>"
ARRAY = "<json:array>"
OBJECT = "<json:object>"
_tags.update((STR, ARRAY, OBJECT))


def _json_kind(item: Any) -> str | None:
    if isinstance(item, str):
        return STR
    if isinstance(item, (list, tuple)):
        return ARRAY
    if isinstance(item, (dict, BaseModel)):
        return OBJECT
    return None


def _shaped(expected: str) -> Discriminator:
    """Discriminate on the JSON kind of the value (string / array / object)."""
    return _Discriminator(
        _json_kind,
        custom_error_type=SHAPE_UNION_ERROR,
        custom_error_message="invalid type",
        custom_error_context={"expected": expected},
    )


# OpenAI's function and schema names: letters, digits, underscores and dashes, <= 64.
Name = Annotated[str, Field(max_length=64, pattern=r"^[a-zA-Z0-9_-]+$")]
JsonObject = dict[str, Any]


# --- content parts -----------------------------------------------------------------


class PromptCacheBreakpoint(_Model):
    mode: Literal["explicit"]
    ttl: Literal["30m", "12h"] | None = None


class TextPart(_Model):
    type: Literal["text"]
    text: str
    prompt_cache_breakpoint: PromptCacheBreakpoint | None = None


class ImageUrl(_Model):
    url: str
    detail: Literal["auto", "low", "high", "original"] | None = None


class ImageUrlPart(_Model):
    type: Literal["image_url"]
    image_url: ImageUrl
    prompt_cache_breakpoint: PromptCacheBreakpoint | None = None


class InputAudio(_Model):
    data: str
    format: Literal["wav", "mp3"]


class InputAudioPart(_Model):
    type: Literal["input_audio"]
    input_audio: InputAudio
    prompt_cache_breakpoint: PromptCacheBreakpoint | None = None


class FileRef(_Model):
    file_data: str | None = None
    file_id: str | None = None
    filename: str | None = None


class FilePart(_Model):
    type: Literal["file"]
    file: FileRef
    prompt_cache_breakpoint: PromptCacheBreakpoint | None = None


class RefusalPart(_Model):
    type: Literal["refusal"]
    refusal: str


UserPart = Annotated[
    (
        Annotated[TextPart, _tag("type", "text")]
        | Annotated[ImageUrlPart, _tag("type", "image_url")]
        | Annotated[InputAudioPart, _tag("type", "input_audio")]
        | Annotated[FilePart, _tag("type", "file")]
    ),
    _keyed("type", ("text", "image_url", "input_audio", "file")),
]
AssistantPart = Annotated[
    Annotated[TextPart, _tag("type", "text")] | Annotated[RefusalPart, _tag("type", "refusal")],
    _keyed("type", ("text", "refusal")),
]

_CONTENT_KINDS = "one of a string or array of objects"
# Text-only contents need no tagged union: ``Literal["text"]`` words a wrong ``type``.
TextContent = Annotated[
    Annotated[str, Tag(STR)] | Annotated[list[TextPart], Field(min_length=1), Tag(ARRAY)],
    _shaped(_CONTENT_KINDS),
]
UserContent = Annotated[
    Annotated[str, Tag(STR)] | Annotated[list[UserPart], Field(min_length=1), Tag(ARRAY)],
    _shaped(_CONTENT_KINDS),
]
AssistantContent = Annotated[
    Annotated[str, Tag(STR)] | Annotated[list[AssistantPart], Field(min_length=1), Tag(ARRAY)],
    _shaped(_CONTENT_KINDS),
]


# --- messages ------------------------------------------------------------------------


class SystemMessage(_Model):
    role: Literal["system"]
    content: TextContent
    name: str | None = None


class DeveloperMessage(_Model):
    role: Literal["developer"]
    content: TextContent
    name: str | None = None


class UserMessage(_Model):
    role: Literal["user"]
    content: UserContent
    name: str | None = None


class FunctionCallArguments(_Model):
    name: str
    arguments: str


# Echoed keys: the SDKs' ordinary tool loop appends ``completion.choices[0].message`` to
# ``messages`` as it came, so every key a response (or a helper) put there comes back.
# The real API accepts them, so ``--strict`` must too; the server reads none of them.


class ToolCallFunction(FunctionCallArguments):
    # Added by the SDKs' ``parse()`` and ``stream()`` helpers: the arguments, decoded.
    parsed_arguments: Any = None


class FunctionToolCall(_Model):
    id: str
    type: Literal["function"]
    function: ToolCallFunction
    # Kept by the stream helpers, which accumulate a message from the chunks' deltas.
    index: Annotated[int, Field(ge=0)] | None = None


class CustomCallInput(_Model):
    name: str
    input: str


class CustomToolCall(_Model):
    id: str
    type: Literal["custom"]
    custom: CustomCallInput
    index: Annotated[int, Field(ge=0)] | None = None


ToolCall = Annotated[
    (
        Annotated[FunctionToolCall, _tag("type", "function")]
        | Annotated[CustomToolCall, _tag("type", "custom")]
    ),
    _keyed("type", ("function", "custom")),
]


class AssistantAudioRef(_Model):
    id: str
    # A response's ``message.audio`` echoed whole: only ``id`` is read.
    data: str | None = None
    expires_at: int | None = None
    transcript: str | None = None


class UrlCitation(_Model):
    start_index: int
    end_index: int
    title: str
    url: str


class Annotation(_Model):
    type: Literal["url_citation"]
    url_citation: UrlCitation


class AssistantMessage(_Model):
    role: Literal["assistant"]
    # May be null or absent only with tool_calls / function_call / audio; that rule is
    # checked after validation so its error can carry OpenAI's wording.
    content: AssistantContent | None = None
    refusal: str | None = None
    name: str | None = None
    audio: AssistantAudioRef | None = None
    tool_calls: Annotated[list[ToolCall], Field(min_length=1)] | None = None
    function_call: FunctionCallArguments | None = None
    # Response keys an echoed message carries (see ``ToolCallFunction``): every response
    # sends ``annotations``; ``parsed`` comes from the ``parse()`` and ``stream()`` helpers.
    annotations: list[Annotation] | None = None
    parsed: Any = None


class ToolMessage(_Model):
    role: Literal["tool"]
    content: TextContent
    tool_call_id: str


class FunctionMessage(_Model):
    role: Literal["function"]
    content: str | None  # required but nullable, as in the spec
    name: str


# The order of ``values`` is the order the real API lists roles in its error message.
Message = Annotated[
    (
        Annotated[SystemMessage, _tag("role", "system")]
        | Annotated[AssistantMessage, _tag("role", "assistant")]
        | Annotated[UserMessage, _tag("role", "user")]
        | Annotated[FunctionMessage, _tag("role", "function")]
        | Annotated[ToolMessage, _tag("role", "tool")]
        | Annotated[DeveloperMessage, _tag("role", "developer")]
    ),
    _keyed("role", ("system", "assistant", "user", "function", "tool", "developer")),
]


# --- tools and tool choice --------------------------------------------------------------


class FunctionDefinition(_Model):
    name: Name
    description: str | None = None
    parameters: JsonObject | None = None  # free-form JSON Schema; its root is checked later
    strict: bool | None = None


class FunctionTool(_Model):
    type: Literal["function"]
    function: FunctionDefinition


class TextFormat(_Model):
    type: Literal["text"]


class Grammar(_Model):
    definition: str
    syntax: Literal["lark", "regex"]


class GrammarFormat(_Model):
    type: Literal["grammar"]
    grammar: Grammar


CustomFormat = Annotated[
    Annotated[TextFormat, _tag("type", "text")] | Annotated[GrammarFormat, _tag("type", "grammar")],
    _keyed("type", ("text", "grammar")),
]


class CustomDefinition(_Model):
    name: str
    description: str | None = None
    format: CustomFormat | None = None


class CustomTool(_Model):
    type: Literal["custom"]
    custom: CustomDefinition


Tool = Annotated[
    (
        Annotated[FunctionTool, _tag("type", "function")]
        | Annotated[CustomTool, _tag("type", "custom")]
    ),
    _keyed("type", ("function", "custom")),
]


class NamedFunction(_Model):
    name: str


class NamedFunctionChoice(_Model):
    type: Literal["function"]
    function: NamedFunction


class NamedCustomChoice(_Model):
    type: Literal["custom"]
    custom: NamedFunction


class AllowedTools(_Model):
    mode: Literal["auto", "required"]
    tools: list[JsonObject]  # tool definitions in the same shape as ``tools`` entries


class AllowedToolsChoice(_Model):
    type: Literal["allowed_tools"]
    allowed_tools: AllowedTools


ToolChoiceObject = Annotated[
    (
        Annotated[NamedFunctionChoice, _tag("type", "function")]
        | Annotated[AllowedToolsChoice, _tag("type", "allowed_tools")]
        | Annotated[NamedCustomChoice, _tag("type", "custom")]
    ),
    _keyed("type", ("function", "allowed_tools", "custom")),
]
ToolChoice = Annotated[
    (
        Annotated[Literal["none", "auto", "required"], Tag(STR)]
        | Annotated[ToolChoiceObject, Tag(OBJECT)]
    ),
    _shaped("one of a string or object"),
]


class LegacyFunction(_Model):
    name: Name
    description: str | None = None
    parameters: JsonObject | None = None


LegacyFunctionCall = Annotated[
    Annotated[Literal["none", "auto"], Tag(STR)] | Annotated[NamedFunction, Tag(OBJECT)],
    _shaped("one of a string or object"),
]


# --- response format ---------------------------------------------------------------------


class JsonSchemaSpec(_Model):
    name: Name
    description: str | None = None
    # ``schema`` would shadow ``BaseModel.schema``; the wire name stays ``schema``.
    schema_: JsonObject | None = Field(default=None, alias="schema")
    strict: bool | None = None


class ResponseFormatText(_Model):
    type: Literal["text"]


class ResponseFormatJsonObject(_Model):
    type: Literal["json_object"]


class ResponseFormatJsonSchema(_Model):
    type: Literal["json_schema"]
    json_schema: JsonSchemaSpec


ResponseFormat = Annotated[
    (
        Annotated[ResponseFormatText, _tag("type", "text")]
        | Annotated[ResponseFormatJsonSchema, _tag("type", "json_schema")]
        | Annotated[ResponseFormatJsonObject, _tag("type", "json_object")]
    ),
    _keyed("type", ("text", "json_schema", "json_object")),
]


# --- smaller request options -------------------------------------------------------------


class StreamOptions(_Model):
    include_usage: bool | None = None
    include_obfuscation: bool | None = None


class VoiceId(_Model):
    id: str


Voice = Annotated[
    Annotated[str, Tag(STR)] | Annotated[VoiceId, Tag(OBJECT)],
    _shaped("one of a string or object"),
]


class AudioOutput(_Model):
    voice: Voice
    format: Literal["wav", "aac", "mp3", "flac", "opus", "pcm16"]


class Prediction(_Model):
    type: Literal["content"]
    content: TextContent


class ApproximateLocation(_Model):
    city: str | None = None
    country: str | None = None
    region: str | None = None
    timezone: str | None = None


class UserLocation(_Model):
    type: Literal["approximate"]
    approximate: ApproximateLocation


class WebSearchOptions(_Model):
    user_location: UserLocation | None = None
    search_context_size: Literal["low", "medium", "high"] | None = None


class ModerationMode(_Model):
    mode: Literal["score", "block"]


class ModerationPolicy(_Model):
    input: ModerationMode | None = None
    output: ModerationMode | None = None


class Moderation(_Model):
    model: str
    policy: ModerationPolicy | None = None


class PromptCacheOptions(_Model):
    ttl: Literal["30m"] | None = None
    mode: Literal["implicit", "explicit"] | None = None


Stop = Annotated[
    Annotated[str, Tag(STR)] | Annotated[list[str], Field(min_length=1, max_length=4), Tag(ARRAY)],
    _shaped("one of a string or array of strings"),
]
Metadata = Annotated[
    dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=512)]],
    Field(max_length=16),
]
# Float bounds are written as floats on purpose: the translator tells "decimal" from
# "integer" range errors by the type of the bound pydantic reports.
Penalty = Annotated[float, Field(ge=-2.0, le=2.0)]
PositiveInt = Annotated[int, Field(ge=1)]
_INT64 = 2**63


class ChatCompletionRequest(_Model):
    """The body of ``POST /v1/chat/completions``; unknown keys end up in ``model_extra``."""

    model: str
    messages: Annotated[list[Message], Field(min_length=1)]

    # sampling and length
    temperature: Annotated[float, Field(ge=0.0, le=2.0)] | None = None
    top_p: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    n: Annotated[int, Field(ge=1, le=128)] | None = None
    stop: Stop | None = None
    max_tokens: PositiveInt | None = None
    max_completion_tokens: PositiveInt | None = None
    frequency_penalty: Penalty | None = None
    presence_penalty: Penalty | None = None
    logit_bias: dict[str, Annotated[int, Field(ge=-100, le=100)]] | None = None
    logprobs: bool | None = None
    top_logprobs: Annotated[int, Field(ge=0, le=20)] | None = None
    seed: Annotated[int, Field(ge=-_INT64, le=_INT64 - 1)] | None = None

    # streaming
    stream: bool | None = None
    stream_options: StreamOptions | None = None

    # tools and output shape
    tools: Annotated[list[Tool], Field(max_length=128)] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    functions: Annotated[list[LegacyFunction], Field(min_length=1, max_length=128)] | None = None
    function_call: LegacyFunctionCall | None = None

    # identification, caching and storage
    user: str | None = None
    # openai 3.57 documents 128 characters (it was 64 when the field came in).
    safety_identifier: Annotated[str, Field(max_length=128)] | None = None
    prompt_cache_key: str | None = None
    # Deprecated in favour of prompt_cache_options.ttl, still accepted by the API.
    prompt_cache_retention: Literal["in_memory", "24h"] | None = None
    prompt_cache_options: PromptCacheOptions | None = None
    metadata: Metadata | None = None
    store: bool | None = None

    # newer model options
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None = (
        None
    )
    verbosity: Literal["low", "medium", "high"] | None = None
    service_tier: Literal["auto", "default", "flex", "scale", "priority", "fast"] | None = None
    modalities: list[Literal["text", "audio"]] | None = None
    audio: AudioOutput | None = None
    prediction: Prediction | None = None
    web_search_options: WebSearchOptions | None = None
    moderation: Moderation | None = None


UNION_TAGS: frozenset[str] = frozenset(_tags)
