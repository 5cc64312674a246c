"""Server-held conversations: the history a later request may continue from.

Some APIs let a client send only the new turn and name the reply it follows (Anthropic's
``thread: {"type": "continue", "previous_message_id": ...}``; OpenAI Responses'
``previous_response_id`` works the same way). The server then keeps each answered
conversation under its reply's id. This module is that memory, and it knows no field names:
a codec gives it a :class:`Conversation` built from neutral values, plus an opaque ``wire``
copy of the history that only that codec reads back (to re-validate a continued request the
way it validates a whole one).

The store is bounded, since every answered request may add an entry: at most
``per_session`` entries in a session and ``max_bytes`` in all (the JSON size of the wire
copies). The oldest entries go first, and a continue from one of them finds nothing
(``not_found``), like a thread the real API has expired. Each reply may be continued once:
a continued entry becomes a marker that remembers only that it was continued, and its history
moves to the reply that continued it, so a long conversation is stored once, not once per
turn.

A codec whose API lets one reply be continued many times (OpenAI Responses'
``previous_response_id``) reads with :meth:`ConversationStore.peek` and saves each turn
without ``continues``: every entry then keeps its whole history, and the byte bound above
is what limits the cost. :meth:`ConversationStore.forget` deletes one entry, for APIs that
let a client delete a stored reply.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mockgw.core.chat import ChatRequest, Choice, Completion, Message
from mockgw.errors import MockgwError

# Defaults, documented in docs/threads.md.
DEFAULT_PER_SESSION = 1000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024

# Why a stored conversation cannot be continued.
Problem = Literal["not_found", "already_continued", "in_flight"]

# The error catalogue entry (core/failures.PRESETS) each problem is answered with.
PROBLEM_PRESET: dict[Problem, str] = {
    "not_found": "thread_not_found",
    "already_continued": "thread_already_continued",
    "in_flight": "thread_continue_in_flight",
}


class ConversationUnavailable(MockgwError):
    """The conversation a request continues cannot be continued; ``problem`` says why."""

    def __init__(self, problem: Problem, response_id: str) -> None:
        super().__init__(f"{problem}: {response_id}")
        self.problem: Problem = problem
        self.response_id = response_id


def reply_message(choice: Choice) -> Message:
    """A generated answer as the assistant turn it becomes in the history."""
    return Message(role="assistant", text=choice.text, tool_calls=choice.tool_calls)


@dataclass(frozen=True, slots=True)
class Conversation:
    """One answered conversation: the request (its whole history) and the reply.

    ``frozen`` holds the fields a continue must repeat unchanged, by name, as canonical JSON
    (which fields is the codec's rule). ``wire`` is the codec's own copy of the history,
    opaque here.
    """

    api: str
    request: ChatRequest
    reply: Message
    frozen: Mapping[str, str] = field(default_factory=dict)
    wire: Mapping[str, Any] = field(default_factory=dict)

    @property
    def history(self) -> tuple[Message, ...]:
        return (*self.request.messages, self.reply)


@dataclass(frozen=True, slots=True)
class Turn:
    """A request that takes part in a server-held conversation.

    ``response_id`` is the id its reply will carry: the handle a later request continues
    from. ``continues`` is the id it continues (None when it starts a conversation); that
    entry is claimed while this request is answered. ``record`` builds what to keep from the
    completion, once the reply went out whole.
    """

    response_id: str
    continues: str | None
    record: Callable[[Completion], Conversation]


def canonical(value: Any) -> str:
    """``value`` as JSON that compares equal exactly when the values do."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(slots=True)
class _Entry:
    conversation: Conversation | None  # None once continued: only the fact is kept
    size: int
    in_flight: bool = False


class ConversationStore:
    """Every session's stored conversations, keyed by reply id; see the module docstring."""

    def __init__(
        self, *, per_session: int = DEFAULT_PER_SESSION, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        self.per_session = per_session
        self.max_bytes = max_bytes
        self._sessions: dict[str, OrderedDict[str, _Entry]] = {}
        # Every entry oldest first, across sessions: the byte bound evicts from here.
        self._order: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    # --- reading --------------------------------------------------------------------

    def peek(self, session: str, response_id: str, *, api: str) -> Conversation:
        """The conversation ``response_id`` ended, if it can be continued now."""
        with self._lock:
            return self._usable(session, response_id, api)

    def claim(self, session: str, response_id: str, *, api: str) -> Conversation:
        """Like :meth:`peek`, and hold the entry until :meth:`release`: a second continue
        from it meanwhile is refused as ``in_flight``."""
        with self._lock:
            conversation = self._usable(session, response_id, api)
            self._sessions[session][response_id].in_flight = True
            return conversation

    def release(self, session: str, response_id: str) -> None:
        """End a claim, however the request that held it ended."""
        with self._lock:
            entry = self._entry(session, response_id)
            if entry is not None:
                entry.in_flight = False

    def count(self, session: str) -> int:
        """How many entries ``session`` holds (continued markers included)."""
        with self._lock:
            return len(self._sessions.get(session, ()))

    @property
    def size(self) -> int:
        """The bytes held, all sessions together."""
        return self._bytes

    def _entry(self, session: str, response_id: str) -> _Entry | None:
        entries = self._sessions.get(session)
        return entries.get(response_id) if entries is not None else None

    def _usable(self, session: str, response_id: str, api: str) -> Conversation:
        entry = self._entry(session, response_id)
        if entry is None or (entry.conversation is not None and entry.conversation.api != api):
            raise ConversationUnavailable("not_found", response_id)
        if entry.conversation is None:
            raise ConversationUnavailable("already_continued", response_id)
        if entry.in_flight:
            raise ConversationUnavailable("in_flight", response_id)
        return entry.conversation

    # --- writing --------------------------------------------------------------------

    def save(
        self,
        session: str,
        response_id: str,
        conversation: Conversation,
        *,
        continues: str | None = None,
    ) -> None:
        """Keep ``conversation`` under ``response_id``; the entry it ``continues`` (if
        any) is marked continued, and gives up its history."""
        size = len(canonical(conversation.wire)) + len(response_id)
        with self._lock:
            entries = self._sessions.setdefault(session, OrderedDict())
            if continues is not None and continues in entries:
                old = entries[continues]
                self._bytes -= old.size - len(continues)
                old.conversation, old.size = None, len(continues)
            self._drop(session, response_id)
            entries = self._sessions.setdefault(session, OrderedDict())
            entries[response_id] = _Entry(conversation, size)
            self._order[(session, response_id)] = None
            self._bytes += size
            while len(entries) > self.per_session:
                self._drop(session, next(iter(entries)))
            while self._bytes > self.max_bytes and len(self._order) > 1:
                self._drop(*next(iter(self._order)))

    def forget(self, session: str, response_id: str, *, api: str) -> bool:
        """Delete the entry ``response_id`` that ``api`` stored; False when there is none."""
        with self._lock:
            entry = self._entry(session, response_id)
            if entry is None or entry.conversation is None or entry.conversation.api != api:
                return False
            self._drop(session, response_id)
            return True

    def clear(self, session: str | None = None) -> None:
        """Forget ``session``'s conversations, or every session's (None)."""
        with self._lock:
            if session is None:
                self._sessions.clear()
                self._order.clear()
                self._bytes = 0
                return
            for response_id in list(self._sessions.get(session, ())):
                self._drop(session, response_id)

    def _drop(self, session: str, response_id: str) -> None:
        entries = self._sessions.get(session)
        if entries is None or response_id not in entries:
            return
        self._bytes -= entries.pop(response_id).size
        self._order.pop((session, response_id), None)
        if not entries:
            del self._sessions[session]
