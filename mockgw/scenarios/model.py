"""The scenario file format, as pydantic models (and so as a JSON Schema for editors).

Every model forbids unknown keys: a typo in a scenario file must be an error with the
nearest valid key, never a silently ignored condition. The loader adds file, line and
column to the errors these models raise.
"""

from __future__ import annotations

import math
import re
import typing
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from mockgw.core.chat import RefusalCategory
from mockgw.core.profiles import Profile
from mockgw.scenarios.regex import compile_regex

NeutralFinish = Literal[
    "end", "max_tokens", "stop_sequence", "tool_calls", "content_filter", "pause", "context_window"
]
NEUTRAL_FINISHES: tuple[NeutralFinish, ...] = typing.get_args(NeutralFinish)
# Provider words users will naturally write, mapped to the neutral ones.
FINISH_ALIASES: dict[str, NeutralFinish] = {
    "stop": "end",
    "end_turn": "end",
    "length": "max_tokens",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "pause",
    "model_context_window_exceeded": "context_window",
}

_FLOAT32_MAX = 3.4028234663852886e38
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$")


def parse_duration(value: Any) -> float:
    """``"150ms"`` / ``"2s"`` / ``"1m"`` / a number of seconds -> seconds."""
    if isinstance(value, bool):
        raise ValueError("a duration is a string with a unit, e.g. '150ms' or '2s'")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            raise ValueError("a duration is a finite, non-negative number of seconds")
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"'{value}' is not a duration; use a number with ms, s or m, e.g. '150ms'")
    number, unit = float(match[1]), match[2]
    return number / 1000 if unit == "ms" else number * 60 if unit == "m" else number


# Stored as seconds; written as "150ms", "2s", "1m" or a number of seconds.
Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|m)\s*$"},
            ]
        }
    ),
]


class _Strict(BaseModel):
    # strict: YAML already types its scalars, so "yes" or "2" where a bool or an int
    # belongs is a mistake to report, not a value to coerce.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# --- conditions ------------------------------------------------------------------------


class TextMatch(_Strict):
    """How a piece of text must look; give exactly one of equals/contains/regex/glob."""

    equals: str | None = None
    contains: str | None = None
    regex: str | None = None
    glob: str | None = None
    ignore_case: bool = False

    @model_validator(mode="after")
    def _one_operator(self) -> TextMatch:
        given = [k for k in ("equals", "contains", "regex", "glob") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of 'equals', 'contains', 'regex' or 'glob'"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.regex is not None:
            compile_regex(self.regex, ignore_case=self.ignore_case)  # RegexError says why
        return self


# A bare string means "equals".
Text = str | TextMatch


class ToolResultMatch(_Strict):
    name: str | None = None
    contains: str | None = None
    is_error: bool | None = None


class RangeMatch(_Strict):
    equals: int | None = None
    min: int | None = None
    max: int | None = None


class PathMatch(_Strict):
    """A condition on the raw request body at a dotted path (``messages.0.content``)."""

    path: str
    equals: Any = None
    contains: str | None = None
    regex: str | None = None
    exists: bool | None = None

    @model_validator(mode="after")
    def _has_operator(self) -> PathMatch:
        # Without one, the condition would silently mean "equals null".
        given = self.model_fields_set & {"equals", "contains", "regex", "exists"}
        if not given:
            raise ValueError("give at least one of 'equals', 'contains', 'regex' or 'exists'")
        if self.regex is not None:
            compile_regex(self.regex)  # RegexError (a ValueError) says why
        return self


class Condition(_Strict):
    """All given criteria must hold; ``all`` / ``any`` / ``not`` combine conditions."""

    api: str | None = Field(
        default=None, description="the wire format's name: 'openai', 'anthropic', ..."
    )
    model: Text | None = Field(default=None, description="exact id, or {glob: 'claude-*'}")
    stream: bool | None = None
    last_user: Text | None = None
    system: Text | None = None
    any_message: Text | None = None
    tools: list[str] | None = Field(default=None, description="the request offers all of these")
    tool_choice: Literal["auto", "none", "required", "named"] | None = None
    tool_result: Literal["present", "absent"] | str | ToolResultMatch | None = Field(
        default=None,
        description="'present', 'absent', a tool name, or {name, contains, is_error}; "
        "looks at the tool results of the last user turn",
    )
    turn: int | RangeMatch | None = Field(
        default=None, description="number of user turns so far (1 for the first request)"
    )
    headers: dict[str, Text] | None = None
    metadata: dict[str, Text] | None = None
    response_format: Literal["text", "json_object", "json_schema"] | None = None
    body: list[PathMatch] | None = None
    counter: dict[str, int | RangeMatch] | None = Field(
        default=None, description="a session counter's value: N, or {min, max, equals}"
    )
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(default=None, alias="not")

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @field_validator("api")
    @classmethod
    def _served_api(cls, value: str | None, info: ValidationInfo) -> str | None:
        # The server's codecs say which names exist (the loader passes them as context),
        # so a toy third codec is as welcome here as the built-in two.
        apis = (info.context or {}).get("apis")
        if value is not None and apis is not None and value not in apis:
            expected = " or ".join(f"'{name}'" for name in apis)
            raise PydanticCustomError(
                "literal_error", "Input should be {expected}", {"expected": expected}
            )
        return value


# --- replies ---------------------------------------------------------------------------


class Generate(_Strict):
    """Generated prose, seeded from the request like the default reply."""

    sentences: int | None = Field(default=None, ge=1, le=200)


class GeneratedText(_Strict):
    generate: Generate


class GeneratedJson(_Strict):
    generate: Literal["schema"] = Field(
        description="'schema': JSON valid against the request's json_schema response format"
    )


class ToolCallSpec(_Strict):
    name: str
    arguments: dict[str, Any] | None = Field(
        default=None, description="omit to generate them from the offered tool's schema"
    )
    id: str | None = None


class RefusalSpec(_Strict):
    category: RefusalCategory | None = Field(
        default=None, description="cyber, bio, frontier_llm, reasoning_extraction, general_harms"
    )
    explanation: str | None = None


class UsageOverride(_Strict):
    input_tokens: int | None = Field(default=None, ge=0)
    output_tokens: int | None = Field(default=None, ge=0)
    cache_read_tokens: int | None = Field(default=None, ge=0)
    cache_creation_tokens: int | None = Field(default=None, ge=0)


class LogNormal(_Strict):
    median: Duration
    sigma: float = Field(default=0.5, gt=0, le=5)
    max: Duration = Field(description="cap: a lognormal tail is unbounded, a test must not be")

    @model_validator(mode="after")
    def _capped_above_median(self) -> LogNormal:
        # Otherwise most draws would be the cap: a fixed delay in disguise.
        if self.median > self.max:
            raise ValueError("lognormal: 'median' must not exceed 'max'")
        return self


class Distribution(_Strict):
    """A random duration, drawn from the session's seeded generator (replayable)."""

    uniform: list[Duration] | None = Field(
        default=None, min_length=2, max_length=2, description="[min, max], e.g. ['100ms', '300ms']"
    )
    lognormal: LogNormal | None = None

    @model_validator(mode="after")
    def _one(self) -> Distribution:
        if (self.uniform is None) == (self.lognormal is None):
            raise ValueError("give exactly one of 'uniform' or 'lognormal'")
        if self.uniform is not None and self.uniform[0] > self.uniform[1]:
            raise ValueError("uniform: the first bound must not exceed the second")
        return self


# A fixed duration or a distribution to draw one from.
Delay = Duration | Distribution

StreamFailureKind = Literal["disconnect", "truncate", "no_terminator", "stall", "error"]


class StreamFailure(_Strict):
    """How and when a stream breaks; ``after_events: 0`` breaks before any content."""

    after_events: int | None = Field(default=None, ge=0, description="events sent first")
    after: Duration | None = Field(default=None, description="time after the first event")
    with_: StreamFailureKind = Field(
        default="error",
        alias="with",
        description="disconnect, truncate (half an event), no_terminator, stall, or error "
        "(a provider error event)",
    )
    error: str | ErrorSpec | None = Field(
        default=None, description="for 'with: error': a catalogue name (default overloaded)"
    )

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @model_validator(mode="after")
    def _when(self) -> StreamFailure:
        if self.after_events is None and self.after is None:
            raise ValueError("say when the stream fails: 'after_events', 'after', or both")
        if self.error is not None and self.with_ != "error":
            raise ValueError(f"'error' goes with 'with: error', not 'with: {self.with_}'")
        return self


class StreamTiming(_Strict):
    ttft: Delay = Field(default=0.0, description="delay before the first event, e.g. '150ms'")
    every: Duration = Field(default=0.0, description="delay between events, e.g. '20ms'")
    tokens_per_second: float | None = Field(
        default=None, gt=0, description="pace by rate instead of 'every'"
    )
    jitter: float = Field(default=0.0, ge=0, le=1, description="gaps vary by this fraction")
    fail: StreamFailure | None = None

    @model_validator(mode="after")
    def _pace(self) -> StreamTiming:
        if self.tokens_per_second is not None and "every" in self.model_fields_set:
            raise ValueError("give either 'every' or 'tokens_per_second', not both")
        return self

    @property
    def gap(self) -> float:
        return 1 / self.tokens_per_second if self.tokens_per_second else self.every


class ErrorSpec(_Strict):
    status: int = Field(ge=400, le=599)
    type: str | None = Field(
        default=None, description="provider error type; derived from the status when omitted"
    )
    message: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)


ConnectionFaultKind = Literal["reset", "close", "garbage", "close_after_headers", "hang"]


class Reply(_Strict):
    """What a rule answers: content (text / json / tool calls / thinking) or an error."""

    text: str | GeneratedText | None = Field(
        default=None, description="literal text (templates allowed) or {generate: {...}}"
    )
    json_: GeneratedJson | dict[str, Any] | list[Any] | None = Field(
        default=None, alias="json", description="a literal JSON value, or {generate: schema}"
    )
    tool_calls: list[ToolCallSpec] | None = None
    thinking: str | None = None
    embedding: list[float] | list[list[float]] | None = Field(
        default=None,
        min_length=1,
        description="for an embeddings endpoint: one vector for every input, or a list of "
        "vectors dealt out to the inputs in order; chat endpoints ignore it",
    )
    finish_reason: Annotated[
        NeutralFinish | None,
        WithJsonSchema({"enum": [*NEUTRAL_FINISHES, *FINISH_ALIASES], "type": "string"}),
    ] = None
    refusal: RefusalSpec | None = Field(
        default=None,
        description="a refusal's stop_details (Anthropic); implies finish_reason: content_filter",
    )
    usage: UsageOverride | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    delay: Delay = Field(default=0.0, description="delay before answering, e.g. '200ms'")
    stream: StreamTiming | None = None
    error: str | ErrorSpec | None = Field(
        default=None, description="a catalogue name (rate_limit, overloaded, ...) or {status, ...}"
    )
    retry_after: Duration | None = Field(
        default=None, description="with an error: sets retry-after and retry-after-ms"
    )
    should_retry: bool | None = Field(
        default=None, description="with an error: sets x-should-retry, which SDKs obey"
    )
    fault: ConnectionFaultKind | None = Field(
        default=None, description="break the connection instead of answering"
    )

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @field_validator("json_", mode="before")
    @classmethod
    def _json_generate(cls, value: Any) -> Any:
        # {generate: schma} would otherwise be sent as that literal object.
        generate = value.get("generate") if isinstance(value, dict) and len(value) == 1 else None
        if generate is not None and generate != "schema":
            raise ValueError(
                f"invalid generate {generate!r}; the only generated JSON is {{generate: schema}}"
            )
        return value

    @field_validator("embedding")
    @classmethod
    def _vectors(cls, value: list[float] | list[list[float]] | None) -> Any:
        # Sent as float32, as the API computes: a value float32 cannot hold would fail then.
        vectors = value if value and isinstance(value[0], list) else [value or []]
        for vector in vectors:
            if not vector:
                raise ValueError("an embedding vector needs at least one number")
            if not all(math.isfinite(x) and abs(x) <= _FLOAT32_MAX for x in vector):  # type: ignore[arg-type]
                raise ValueError("an embedding's numbers must be finite float32 values")
        return value

    @field_validator("finish_reason", mode="before")
    @classmethod
    def _finish(cls, value: Any) -> Any:
        valid = set(NEUTRAL_FINISHES)
        if value is None or value in valid or not isinstance(value, str):
            return value
        if value in FINISH_ALIASES:
            return FINISH_ALIASES[value]
        options = sorted(valid | set(FINISH_ALIASES))
        raise ValueError(f"unknown finish_reason '{value}'; valid: {', '.join(options)}")

    @model_validator(mode="after")
    def _consistent(self) -> Reply:
        content = [
            k for k in ("text", "json_", "tool_calls", "thinking", "embedding") if getattr(self, k)
        ]
        if self.error is not None and content:
            names = ", ".join("json" if k == "json_" else k for k in content)
            raise ValueError(f"an error reply cannot also have {names}")
        if self.text is not None and self.json_ is not None:
            raise ValueError("give either 'text' or 'json', not both")
        if self.fault is not None and (content or self.error is not None):
            raise ValueError("a fault breaks the connection: it cannot also reply")
        if self.error is None and (self.retry_after is not None or self.should_retry is not None):
            raise ValueError("'retry_after' and 'should_retry' go with an 'error'")
        if self.refusal is not None and self.finish_reason not in (None, "content_filter"):
            raise ValueError(
                f"'refusal' goes with finish_reason content_filter (refusal), "
                f"not {self.finish_reason}"
            )
        return self


class Rule(_Strict):
    name: str | None = None
    description: str | None = None
    when: Condition | None = None
    priority: int = Field(default=0, description="higher is tried first; ties keep file order")
    times: int | None = Field(default=None, ge=1, description="fires this often per session")
    in_state: str | None = None
    next_state: str | None = None
    increment: list[str] = Field(default_factory=list, description="session counters to bump")
    probability: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="chance the rule applies, drawn from the seeded session generator",
    )
    reply: Reply | None = None
    replies: list[Reply] | None = Field(default=None, min_length=1)
    sequence: Literal["stay", "cycle"] = Field(
        default="stay", description="after the last of 'replies': repeat it, or start over"
    )

    @model_validator(mode="after")
    def _one_reply(self) -> Rule:
        if (self.reply is None) == (self.replies is None):
            raise ValueError("give exactly one of 'reply' or 'replies'")
        return self


class Limits(_Strict):
    rpm: int | None = Field(default=None, ge=1, description="requests per minute")
    tpm: int | None = Field(
        default=None, ge=1, description="tokens per minute (prompt + max_tokens, as OpenAI counts)"
    )
    per: Literal["key", "session"] = Field(
        default="key", description="one bucket per API key (as the real APIs) or per session"
    )

    @model_validator(mode="after")
    def _some(self) -> Limits:
        if self.rpm is None and self.tpm is None:
            raise ValueError("give 'rpm', 'tpm' or both")
        return self


class Scenario(_Strict):
    scenario: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=100)
    description: str = ""
    unmatched: Literal["error", "generate"] = Field(
        default="error",
        description="what a request no rule matches gets: a near-miss error, or the "
        "default generated reply",
    )
    limits: Limits | None = Field(
        default=None, description="real rate limiting (token buckets) for this scenario"
    )
    profile: Profile | None = Field(
        default=None,
        description="which service this scenario's answers look like: native (the provider's "
        "own API) or gateway (a Claude-fronting gateway); default: the server's --profile",
    )
    rules: list[Rule] = Field(default_factory=list)


def json_schema(*, apis: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON Schema of one scenario document (``mockgw schema`` prints it); ``apis``,
    the wire formats a server speaks, are what an editor offers for ``api:``."""
    schema = Scenario.model_json_schema(by_alias=True)
    if apis:
        api = schema["$defs"]["Condition"]["properties"]["api"]
        api["anyOf"] = [{"enum": list(apis), "type": "string"}, {"type": "null"}]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "mockgw scenario"
    return schema
