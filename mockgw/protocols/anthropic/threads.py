"""Message threads (beta ``message-threads-2026-08-12``): Anthropic's server-held conversations.

A request with ``thread: {"type": "create"}`` asks the server to keep the conversation
under its reply's ``id``. A request with ``{"type": "continue", "previous_message_id": ID}``
sends only the new messages: the server puts the stored history (and the stored ``system``
and ``tools``) in front of them. The response shape does not change. This module reads the
``thread`` field, merges a continue into the whole body (which the usual validation then
checks, tool_result pairing across the whole history included), applies the fingerprint
rule and builds what the store keeps. The store itself is neutral
(:mod:`mockgw.core.conversations`); docs/threads.md describes the behaviour.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockgw.core.chat import ChatRequest, Completion
from mockgw.core.conversations import (
    PROBLEM_PRESET,
    Conversation,
    ConversationUnavailable,
    canonical,
    reply_message,
)
from mockgw.core.failures import ScriptedError
from mockgw.errors import ApiError
from mockgw.protocols.anthropic.encode import content_blocks
from mockgw.protocols.anthropic.failures import PRESETS, THREAD_FINGERPRINT_MISMATCH
from mockgw.protocols.anthropic.validation_errors import invalid_request
from mockgw.protocols.codec import Headers
from mockgw.protocols.presets import scripted_api_error

MESSAGE_THREADS_BETA = "message-threads-2026-08-12"
API = "anthropic"
# Fixed when the thread is created: a continue must not send them at all (the SDK drops
# them, and the server "rejects [a continue] if the request repeats them").
CREATE_ONLY = ("system", "tools")
# Sent again on every turn, and must then be what the thread was created with. The SDK
# lets a turn override every field but output_config, so that is the one frozen here.
FROZEN = ("output_config",)


@dataclass(frozen=True, slots=True)
class ThreadSpec:
    """A request's ``thread`` field: ``previous`` is the id it continues, None to create."""

    previous: str | None


def betas(headers: Headers) -> set[str]:
    """Every ``anthropic-beta`` value, however joined (the SDK uses "," and ", ")."""
    return {
        part.strip() for value in headers.getall("anthropic-beta", []) for part in value.split(",")
    }


def parse_thread(raw: Any, headers: Headers) -> ThreadSpec:
    """The ``thread`` field checked, or the API's 400.

    Without the beta header the field is unknown to the API, which rejects it as any
    field it does not know rather than quietly answer without a thread.
    """
    if MESSAGE_THREADS_BETA not in betas(headers):
        raise invalid_request("thread: Extra inputs are not permitted")
    if not isinstance(raw, dict):
        raise invalid_request(
            "thread: Input should be a valid dictionary or object to extract fields from"
        )
    kind = raw.get("type")
    if kind not in ("create", "continue"):
        if kind is None:
            raise invalid_request("thread: Unable to extract tag using discriminator 'type'")
        raise invalid_request(
            f"thread: Input tag '{kind}' found using 'type' does not match any of the "
            "expected tags: 'create', 'continue'"
        )
    allowed = {"type"} if kind == "create" else {"type", "previous_message_id"}
    for key in raw:
        if key not in allowed:
            raise invalid_request(f"thread.{kind}.{key}: Extra inputs are not permitted")
    if kind == "create":
        return ThreadSpec(None)
    previous = raw.get("previous_message_id")
    if previous is None:
        raise invalid_request("thread.continue.previous_message_id: Field required")
    if not isinstance(previous, str):
        raise invalid_request("thread.continue.previous_message_id: Input should be a valid string")
    return ThreadSpec(previous)


def thread_error(name: str, *, message: str | None = None) -> ApiError:
    """The catalogue entry ``name`` (a thread error), as the real API sends it."""
    return scripted_api_error(PRESETS, ScriptedError(preset=name, message=message), model="")


def unavailable(refused: ConversationUnavailable) -> ApiError:
    return thread_error(PROBLEM_PRESET[refused.problem])


def fingerprint_mismatch(fields: list[str]) -> ApiError:
    named = ", ".join(f"`{f}`" for f in fields)
    return thread_error(
        "thread_fingerprint_mismatch",
        message=f"{THREAD_FINGERPRINT_MISMATCH} Differing fields: {named}.",
    )


def merge(body: dict[str, Any], stored: Conversation) -> dict[str, Any]:
    """A continue's body as the whole request it stands for: stored history first.

    A repeated create-only field is refused here, before validation, since the merged body
    would hide it.
    """
    repeated = [field for field in CREATE_ONLY if field in body]
    if repeated:
        raise fingerprint_mismatch(repeated)
    merged = {**body}
    for field in CREATE_ONLY:
        if field in stored.wire:
            merged[field] = stored.wire[field]
    new = body.get("messages")
    if isinstance(new, list):  # anything else is left for validation to word
        merged["messages"] = [*stored.wire["messages"], *new]
    return merged


def check_fingerprint(coerced: Mapping[str, Any], stored: Conversation) -> None:
    """Raise ``thread_fingerprint_mismatch`` naming each frozen field that changed."""
    differing = [
        field
        for field in FROZEN
        if canonical(coerced.get(field)) != stored.frozen.get(field, canonical(None))
    ]
    if differing:
        raise fingerprint_mismatch(differing)


def record(coerced: Mapping[str, Any], chat: ChatRequest, completion: Completion) -> Conversation:
    """What the store keeps of an answered turn: the whole history, the reply appended as
    the assistant message the client got (its content blocks), and the frozen fields."""
    # An empty text block is not a valid input block: the reply would not validate when
    # the history comes back with the next continue.
    content = [
        block
        for block in content_blocks(completion.choices[0])
        if block.get("type") != "text" or block.get("text")
    ]
    wire: dict[str, Any] = {
        field: coerced[field] for field in CREATE_ONLY if coerced.get(field) is not None
    }
    wire["messages"] = [*coerced["messages"], {"role": "assistant", "content": content}]
    frozen = {field: canonical(coerced.get(field)) for field in FROZEN}
    return Conversation(API, chat, reply_message(completion.choices[0]), frozen, wire)
