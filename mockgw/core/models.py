"""The model catalogue: which model ids exist, and what ``/v1/models`` lists.

The default holds the ids Claude-fronting gateways document plus every model id the
official ``openai`` and ``anthropic`` SDKs name in their model types, so code written
against either SDK's literals works unchanged. ``--model`` extends it and
``--no-default-models`` replaces it; ``--any-model`` turns the check off.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

CLAUDE_MODELS: tuple[str, ...] = (
    "claude-haiku-4-5-20251001",
    "claude-sonnet-4-20250514",
    "claude-opus-4-5-20251101",
    "claude-3-5-sonnet-20240620",
    "claude-fable-5-2",
    "claude-mythos-5-2",
    "claude-haiku-5-5",
    "claude-sonnet-5-5",
    "claude-fable-5-1",
    "claude-opus-5-5",
    "claude-mythos-5-1",
    "claude-sonnet-5",
    "claude-fable-5",
    "claude-mythos-5",
    "claude-opus-5",
    "claude-opus-4-8",
    "claude-opus-4-7",
    "claude-mythos-preview",  # past its end of life, still in the SDK's literal
    "claude-opus-4-6",
    "claude-sonnet-4-6",
    "claude-haiku-4-5",
    "claude-opus-4-5",
    "claude-sonnet-4-5",
    "claude-sonnet-4-5-20250929",
    "claude-opus-4-1",
    "claude-opus-4-1-20250805",
    "claude-3-haiku-20240307",
)

OPENAI_MODELS: tuple[str, ...] = (
    "gpt-6-astra",
    "gpt-6.2-astra",
    "gpt-6.1-sol",
    "gpt-6.2-sol",
    "gpt-6.1-terra",
    "gpt-6-sol",
    "gpt-6-luna",
    "gpt-5.6-sol",
    "gpt-5.6-terra",
    "gpt-5.6-luna",
    "gpt-5.5",
    "gpt-5.5-2026-04-23",
    "gpt-5.4",
    "gpt-5.4-mini",
    "gpt-5.4-nano",
    "gpt-5.4-mini-2026-03-17",
    "gpt-5.4-nano-2026-03-17",
    "gpt-5.3-chat-latest",
    "gpt-5.2",
    "gpt-5.2-2025-12-11",
    "gpt-5.2-chat-latest",
    "gpt-5.2-pro",
    "gpt-5.2-pro-2025-12-11",
    "gpt-5.1",
    "gpt-5.1-2025-11-13",
    "gpt-5.1-codex",
    "gpt-5.1-mini",
    "gpt-5.1-chat-latest",
    "gpt-5",
    "gpt-5-mini",
    "gpt-5-nano",
    "gpt-5-2025-08-07",
    "gpt-5-mini-2025-08-07",
    "gpt-5-nano-2025-08-07",
    "gpt-5-chat-latest",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "gpt-4.1-2025-04-14",
    "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano-2025-04-14",
    "o4-mini",
    "o4-mini-2025-04-16",
    "o3",
    "o3-2025-04-16",
    "o3-mini",
    "o3-mini-2025-01-31",
    "o1",
    "o1-2024-12-17",
    "o1-preview",
    "o1-preview-2024-09-12",
    "o1-mini",
    "o1-mini-2024-09-12",
    "gpt-4o",
    "gpt-4o-2024-11-20",
    "gpt-4o-2024-08-06",
    "gpt-4o-2024-05-13",
    "gpt-audio-mini",
    "gpt-audio-mini-2025-12-15",
    "gpt-4o-audio-preview",
    "gpt-4o-audio-preview-2024-10-01",
    "gpt-4o-audio-preview-2024-12-17",
    "gpt-4o-audio-preview-2025-06-03",
    "gpt-4o-mini-audio-preview",
    "gpt-4o-mini-audio-preview-2024-12-17",
    "gpt-4o-search-preview",
    "gpt-4o-mini-search-preview",
    "gpt-4o-search-preview-2025-03-11",
    "gpt-4o-mini-search-preview-2025-03-11",
    "chatgpt-4o-latest",
    "codex-mini-latest",
    "gpt-4o-mini",
    "gpt-4o-mini-2024-07-18",
    "gpt-4-turbo",
    "gpt-4-turbo-2024-04-09",
    "gpt-4-0125-preview",
    "gpt-4-turbo-preview",
    "gpt-4-1106-preview",
    "gpt-4-vision-preview",
    "gpt-4",
    "gpt-4-0314",
    "gpt-4-0613",
    "gpt-4-32k",
    "gpt-4-32k-0314",
    "gpt-4-32k-0613",
    "gpt-3.5-turbo",
    "gpt-3.5-turbo-16k",
    "gpt-3.5-turbo-0301",
    "gpt-3.5-turbo-0613",
    "gpt-3.5-turbo-1106",
    "gpt-3.5-turbo-0125",
    "gpt-3.5-turbo-16k-0613",
)


@dataclass(frozen=True, slots=True)
class EmbeddingModel:
    """What ``POST /v1/embeddings`` needs to know of a model: its native vector length,
    the most tokens one input may have, and whether ``dimensions`` may shorten it."""

    dimensions: int
    max_input_tokens: int = 8192
    shortenable: bool = False


# OpenAI's three (the ``EmbeddingModel`` literal of the openai SDK), and the Voyage ids
# Claude-fronting gateways serve next to Claude, since Anthropic has no embeddings of its
# own and recommends Voyage. Voyage's context is 32k tokens; its own ``output_dimension``
# is not the OpenAI ``dimensions`` field, so through this wire format it is not shortenable.
EMBEDDING_MODELS: dict[str, EmbeddingModel] = {
    "text-embedding-3-small": EmbeddingModel(1536, shortenable=True),
    "text-embedding-3-large": EmbeddingModel(3072, shortenable=True),
    "text-embedding-ada-002": EmbeddingModel(1536),
    "voyage-3.5": EmbeddingModel(1024, 32_000),
    "voyage-3.5-lite": EmbeddingModel(1024, 32_000),
    "voyage-3-large": EmbeddingModel(1024, 32_000),
    "voyage-3": EmbeddingModel(1024, 32_000),
    "voyage-3-lite": EmbeddingModel(512, 32_000),
    "voyage-code-3": EmbeddingModel(1024, 32_000),
}
# An id the catalogue serves but these tables do not know (``--model``, ``--any-model``)
# embeds like OpenAI's small model.
DEFAULT_EMBEDDING = EmbeddingModel(1536)

ModelKind = Literal["chat", "embedding"]
_CHAT_IDS = frozenset((*CLAUDE_MODELS, *OPENAI_MODELS))


def model_kind(model_id: str) -> ModelKind | None:
    """What a built-in id is for; None for ids mockgw does not know (a user's own), which
    every endpoint accepts."""
    if model_id in EMBEDDING_MODELS:
        return "embedding"
    return "chat" if model_id in _CHAT_IDS else None


def embedding_model(model_id: str) -> EmbeddingModel:
    return EMBEDDING_MODELS.get(model_id, DEFAULT_EMBEDDING)


# Ids the real Anthropic API once served and now answers with 404 not_found_error: those
# whose end-of-life date (as the anthropic SDK lists them) has passed. Two retired ids stay
# in the catalogue above on purpose, because gateway docs still use them:
# claude-sonnet-4-20250514 and claude-3-5-sonnet-20240620 (docs/deviations.md). An id still
# named in an installed SDK's model literal is never retired here, whatever its date
# (claude-mythos-preview is past its end of life yet in anthropic 2.16's ``Model``): code
# typed against the SDK must work (tests/unit/test_sdk_model_literals.py).
RETIRED_MODELS: frozenset[str] = frozenset(
    {
        "claude-opus-4-0",
        "claude-opus-4-20250514",
        "claude-sonnet-4-0",
        "claude-3-7-sonnet-20250219",
        "claude-3-7-sonnet-latest",
        "claude-3-5-haiku-20241022",
        "claude-3-5-haiku-latest",
        "claude-1.3",
        "claude-instant-1.2",
        "claude-2.0",
        "claude-2.1",
        "claude-3-sonnet-20240229",
        "claude-3-opus-20240229",
        "claude-3-5-sonnet-20241022",
    }
)

# Ids still served but headed for retirement, with the retirement date the anthropic SDK
# announces (its DEPRECATED_MODELS, which warns on use): Anthropic's model listing calls
# them "deprecated" and gives the date as retires_at.
DEPRECATED_MODELS: dict[str, datetime] = {
    "claude-mythos-preview": datetime(2026, 6, 30, tzinfo=timezone.utc),
    "claude-opus-4-5": datetime(2027, 1, 22, tzinfo=timezone.utc),
    "claude-opus-4-5-20251101": datetime(2027, 1, 22, tzinfo=timezone.utc),
}

_DATE_SUFFIX = re.compile(r"-(20\d\d)-?(\d\d)-?(\d\d)$")
# Creation time for ids without a date: a fixed instant, so listings never change.
_UNDATED = datetime(2025, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A model id and its creation date (from a date suffix, else a fixed instant);
    each codec derives its own listing fields (owner, display name) from these."""

    id: str
    created: datetime

    @property
    def created_unix(self) -> int:
        return int(self.created.timestamp())


def describe(model_id: str) -> ModelInfo:
    """Catalogue entry for any id."""
    match = _DATE_SUFFIX.search(model_id)
    created = (
        datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=timezone.utc)
        if match
        else _UNDATED
    )
    return ModelInfo(model_id, created)


def undated(model_id: str) -> str:
    """``model_id`` without its date suffix."""
    return _DATE_SUFFIX.sub("", model_id)


class ModelCatalogue:
    """An ordered set of known model ids; lookups are O(1) on the hot path."""

    def __init__(self, ids: Iterable[str], *, accept_any: bool = False) -> None:
        self._models = {model_id: describe(model_id) for model_id in dict.fromkeys(ids)}
        self.accept_any = accept_any

    @classmethod
    def default(cls, *, extra: Iterable[str] = (), accept_any: bool = False) -> ModelCatalogue:
        ids = (*CLAUDE_MODELS, *OPENAI_MODELS, *EMBEDDING_MODELS, *extra)
        return cls(ids, accept_any=accept_any)

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._models

    def __len__(self) -> int:
        return len(self._models)

    def get(self, model_id: str) -> ModelInfo | None:
        return self._models.get(model_id)

    def all(self) -> list[ModelInfo]:
        return list(self._models.values())

    def accepts(self, model_id: str) -> bool:
        """Whether a request for ``model_id`` is served (retired ids never are)."""
        if model_id in RETIRED_MODELS:
            return False
        return self.accept_any or model_id in self._models
