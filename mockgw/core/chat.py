"""Provider-neutral values exchanged between the wire codecs and reply generation.

Each protocol decoder turns its own request body into a :class:`ChatRequest`; reply
generation (and, later, the scenario engine) works only on these values and returns a
:class:`Completion`; each encoder turns that back into its own wire format. Nothing in
this module knows about OpenAI or Anthropic field names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]

# Why a completion ended, in neutral terms. Each encoder maps these onto its own
# vocabulary (OpenAI "stop"/"length"/"tool_calls", Anthropic "end_turn"/...).
# "pause" (a long turn the client may resume by sending it back) and "context_window"
# (the model's window ran out before max_tokens) are Anthropic's pause_turn and
# model_context_window_exceeded; OpenAI has no words of its own for them.
FinishReason = Literal[
    "end", "max_tokens", "stop_sequence", "tool_calls", "content_filter", "pause", "context_window"
]
# Anthropic's refusal categories (stop_details.category).
RefusalCategory = Literal["cyber", "bio", "frontier_llm", "reasoning_extraction", "general_harms"]

ToolChoiceMode = Literal["auto", "none", "required", "named"]
ResponseFormatKind = Literal["text", "json_object", "json_schema"]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a reply was refused (``content_filter``): Anthropic's ``stop_details``."""

    category: RefusalCategory | None = None
    explanation: str | None = None


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A function call made by the assistant; ``arguments`` is already-parsed JSON."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ToolResult:
    """The client's answer to an earlier :class:`ToolCall`."""

    tool_call_id: str
    content: str
    is_error: bool = False
    name: str | None = None  # resolved from the matching call when the wire omits it


@dataclass(frozen=True, slots=True)
class Message:
    """One conversation turn reduced to what matching and generation need.

    ``text`` is the concatenation of the turn's text parts; non-text parts (images,
    audio, documents) are counted in ``media_parts`` so token estimates can charge
    for them without keeping the payload around.
    """

    role: Role
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_results: tuple[ToolResult, ...] = ()
    media_parts: int = 0


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool the client offers; ``parameters`` is its JSON Schema (an object schema)."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ToolChoice:
    mode: ToolChoiceMode = "auto"
    name: str | None = None  # set when mode == "named"
    parallel: bool = True
    # OpenAI's allowed_tools: the tools a "required" choice may pick from (empty: any).
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResponseFormat:
    kind: ResponseFormatKind = "text"
    name: str | None = None
    schema: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A validated chat request, whichever API it arrived on."""

    api: str  # the codec's name: what a scenario's ``api:`` condition compares
    model: str
    messages: tuple[Message, ...]
    system: str = ""
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: ToolChoice = ToolChoice()
    response_format: ResponseFormat = ResponseFormat()
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    n: int = 1
    stream: bool = False
    include_usage: bool = False
    seed: int | None = None
    thinking_budget: int | None = None  # tokens of visible reasoning requested, if any
    metadata: dict[str, str] = field(default_factory=dict)
    # How the wire format spells a generated tool-call id ("call_", "toolu_01"): the
    # codec decides it, so generation need not know which API it serves.
    tool_id_prefix: str = "call_"

    @property
    def last_user_text(self) -> str:
        for message in reversed(self.messages):
            if message.role == "user" and message.text:
                return message.text
        return ""


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return (
            self.input_tokens
            + self.cache_creation_tokens
            + self.cache_read_tokens
            + self.output_tokens
        )


@dataclass(frozen=True, slots=True)
class Choice:
    """One generated answer: optional reasoning, then text, then tool calls.

    ``text_chunks`` is the text split the way it will be streamed (the token
    estimator's pieces), so that a stream and a plain response to the same request are
    built from exactly the same data and always agree.
    """

    text_chunks: tuple[str, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    thinking_chunks: tuple[str, ...] = ()
    thinking_signature: str = ""
    finish_reason: FinishReason = "end"
    stop_sequence: str | None = None
    refusal: Refusal | None = None  # only with finish_reason "content_filter"

    @property
    def text(self) -> str:
        return "".join(self.text_chunks)

    @property
    def thinking(self) -> str:
        return "".join(self.thinking_chunks)


@dataclass(frozen=True, slots=True)
class Completion:
    """The neutral reply to a :class:`ChatRequest`; encoders give it a wire shape."""

    model: str
    choices: tuple[Choice, ...]
    usage: Usage
    # Vectors a scenario scripted (``embedding:``), for an embeddings endpoint; empty for a
    # generated answer, whose vectors that endpoint derives from the inputs itself.
    embeddings: tuple[tuple[float, ...], ...] = ()
