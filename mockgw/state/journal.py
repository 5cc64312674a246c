"""The request journal: what clients sent and what they got, bounded and redacted.

Entries are kept per session in ring buffers (``max_entries`` each, oldest dropped),
only the most recently active sessions are kept, and the whole journal stays within a
byte budget (``max_bytes``): past it, the oldest entries of the least recently active
session go first. A body over :data:`BODY_LIMIT` bytes of JSON is kept as the start of its
JSON text, marked ``body_truncated``, so one client sending megabyte prompts cannot make
the journal hold gigabytes. Credentials never enter it: auth headers are replaced before
storage.

A request is recorded the moment it arrives, ``in_flight`` with no status yet, and
completed in place when its answer has gone out, so a hung or stalled request is
visible while it hangs. Queries return copies: what a caller holds never changes.

Every request to the API is journaled, also one to a path no route serves (code
:data:`NO_ROUTE`) or with a method its path does not take (:data:`WRONG_METHOD`).
docs/journal.md describes an entry's fields.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from mockgw.config import DEFAULT_JOURNAL_BYTES
from mockgw.errors import ConfigError

DEFAULT_MAX_ENTRIES = 1000
MAX_SESSIONS = 1000
DEFAULT_MAX_BYTES = DEFAULT_JOURNAL_BYTES  # the budget's reasoning is in config.py
# Prompts and tool results are rarely longer; a longer body is kept as its JSON's start.
BODY_LIMIT = 64 * 1024
# What an entry costs besides its body and headers: the object, its strings, the
# bookkeeping (measured with tracemalloc at about 700 bytes; rounded up).
ENTRY_OVERHEAD = 1024
# Python's objects for a decoded JSON value take more than its text: about 64 bytes per
# value (a str, a dict, a list slot) beyond it, measured on chat bodies of many short
# messages, where they took up to 8 times the text.
VALUE_OVERHEAD = 64

# The journal's codes for requests no route answered; the wire carries the provider's own
# 404, which names neither.
NO_ROUTE = "mockgw_no_route"
WRONG_METHOD = "mockgw_wrong_method"


class Headers(Mapping[str, str]):
    """A request's headers as journaled: read-only, looked up in any case.

    Iteration and :meth:`to_json` give the names as the client sent them; a lookup
    (``headers["authorization"]``, ``"Content-Type" in headers``) ignores case, as HTTP
    does. The case-folded index is built on the first lookup that needs it, so
    recording an entry costs one dict copy.
    """

    __slots__ = ("_folded", "_sent")

    def __init__(self, headers: Mapping[str, str] | None = None) -> None:
        self._sent: dict[str, str] = dict(headers or {})
        self._folded: dict[str, str] | None = None

    def __getitem__(self, name: str) -> str:
        try:
            return self._sent[name]  # the usual case: asked as sent
        except KeyError:
            if not isinstance(name, str):
                raise
        folded = self._folded
        if folded is None:
            # A benign race under threads: both build the same index.
            folded = self._folded = {key.lower(): value for key, value in self._sent.items()}
        return folded[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sent)

    def __len__(self) -> int:
        return len(self._sent)

    def __repr__(self) -> str:
        return f"Headers({self._sent!r})"

    def to_json(self) -> dict[str, str]:
        """A plain dict, names as sent."""
        return dict(self._sent)


@dataclass(slots=True)
class Entry(Mapping[str, Any]):
    """One request in the journal, and what it was answered.

    Read it by attribute (typed: ``entry.status``) or, like its JSON in the admin API,
    as a read-only mapping of the same keys (``entry["status"]``, ``entry.get("rule")``,
    ``"status" in entry``, ``dict(entry)``). The fields are documented in docs/journal.md.
    """

    seq: int
    time: float  # unix seconds
    session: str
    api: str
    method: str
    path: str
    request_id: str
    headers: Headers  # credentials redacted; looked up in any case
    body: Any
    status: int | None  # None while the request is in flight
    scenario: str | None
    rule: str | None
    error: str | None  # the error message sent, or mockgw's reason (no route, wrong method)
    code: str | None  # its code ("mockgw_no_match" for the near-miss 404, NO_ROUTE, ...)
    fault: str | None  # a connection or stream fault applied
    stream: bool
    events: int  # stream events sent whole (0 for a plain response)
    duration_ms: float
    in_flight: bool = False
    ignored: list[str] = field(default_factory=list)  # unknown body fields accepted
    # The body's size as compact JSON (None without a body), and whether ``body`` is then
    # only the start of that JSON text, as a string (the body was over BODY_LIMIT).
    body_bytes: int | None = None
    body_truncated: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.headers, Headers):  # built from JSON (Entry(**data))
            self.headers = Headers(self.headers)

    # Mapping: the keys of the JSON, in its order.

    def __getitem__(self, key: str) -> Any:
        if key in _KEYS:
            return getattr(self, key)
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return key in _KEYS

    def __iter__(self) -> Iterator[str]:
        return iter(_FIELDS)

    def __len__(self) -> int:
        return len(_FIELDS)

    def to_json(self) -> dict[str, Any]:
        """The entry as the admin API sends it: plain dicts and lists, copied."""
        data = {name: getattr(self, name) for name in _FIELDS}
        data["headers"] = self.headers.to_json()
        data["body"] = copy.deepcopy(self.body)
        data["ignored"] = list(self.ignored)
        return data


_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Entry))
_KEYS = frozenset(_FIELDS)


def stored_body(body: Any) -> tuple[Any, int | None, bool, int]:
    """``body`` as the journal keeps it: (body, body_bytes, body_truncated, cost in bytes).

    A body over BODY_LIMIT bytes of JSON becomes the start of that text (cut on a
    character), so what is kept, and what it costs, is bounded whatever was sent.
    """
    if body is None:
        return None, None, False, 0
    # default=repr: a body built in code (Entry(**data)) may hold what JSON cannot.
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=repr)
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= BODY_LIMIT:
        cost = len(data) + VALUE_OVERHEAD * (text.count(",") + text.count(":") + 1)
        return body, len(data), False, cost
    start = data[:BODY_LIMIT].decode("utf-8", "ignore")  # "ignore": a cut character goes
    return start, len(data), True, len(start.encode("utf-8", "surrogatepass")) + 64


def _cost(entry: Entry, body_cost: int) -> int:
    headers = sum(len(name) + len(value) for name, value in entry.headers.items())
    return ENTRY_OVERHEAD + headers + body_cost


class Journal:
    def __init__(
        self, *, max_entries: int = DEFAULT_MAX_ENTRIES, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        if max_entries < 0:
            # deque(maxlen=-1) would raise on the first request, answering it with a 500.
            raise ConfigError(f"--journal-size {max_entries}: must be 0 or more")
        if max_bytes < 0:
            raise ConfigError(f"--journal-bytes {max_bytes}: must be 0 or more")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._sessions: OrderedDict[str, deque[Entry]] = OrderedDict()
        # What each stored entry costs, by id(): an entry is alive while it is stored, so
        # its id is unique then; an entry not in here has been dropped (or never kept).
        self._costs: dict[int, int] = {}
        self._bytes = 0
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def bytes(self) -> int:
        """What the stored entries cost, as counted against ``max_bytes``."""
        with self._lock:
            return self._bytes

    def next_seq(self) -> int:
        return next(self._seq)

    def record(self, entry: Entry) -> None:
        body_cost = 0
        if entry.body is not None and entry.body_bytes is None:
            entry.body, entry.body_bytes, entry.body_truncated, body_cost = stored_body(entry.body)
        elif entry.body is not None:  # already stored once (a copy recorded again)
            body_cost = stored_body(entry.body)[3]
        cost = _cost(entry, body_cost)
        with self._lock:
            entries = self._sessions.get(entry.session)
            if entries is None:
                entries = self._sessions[entry.session] = deque()
                if len(self._sessions) > MAX_SESSIONS:
                    self._drop_session(next(iter(self._sessions)))
            else:
                self._sessions.move_to_end(entry.session)
            if self.max_entries == 0:
                return
            if len(entries) >= self.max_entries:
                self._forget(entries.popleft())
            entries.append(entry)
            self._costs[id(entry)] = cost
            self._bytes += cost
            self._shrink()

    def update(self, entry: Entry, **fields: Any) -> None:
        """Change a recorded entry in place (completing it, say), atomically for readers.

        A ``body`` is stored (cut, counted) the first time only: the frame passes the
        same body again when it completes the entry.
        """
        body_cost: int | None = None
        if "body" in fields:
            if entry.body_bytes is not None or fields["body"] is None:
                del fields["body"]
            else:
                body, size, truncated, body_cost = stored_body(fields["body"])
                fields.update(body=body, body_bytes=size, body_truncated=truncated)
        with self._lock:
            for name, value in fields.items():
                setattr(entry, name, value)
            if body_cost and id(entry) in self._costs:
                self._costs[id(entry)] += body_cost
                self._bytes += body_cost
                self._shrink()

    def _forget(self, entry: Entry) -> None:
        self._bytes -= self._costs.pop(id(entry), 0)

    def _drop_session(self, session: str) -> None:
        for entry in self._sessions.pop(session, ()):
            self._forget(entry)

    def _shrink(self) -> None:
        """Drop entries until the budget holds: the least recently active session's
        oldest first, since the newest requests are the ones a reader is after."""
        while self._bytes > self.max_bytes and self._sessions:
            session, entries = next(iter(self._sessions.items()))
            if entries:
                self._forget(entries.popleft())
            if not entries:
                del self._sessions[session]

    def has_session(self, session: str) -> bool:
        with self._lock:
            return session in self._sessions

    def _all(self, session: str | None) -> Iterator[Entry]:
        with self._lock:
            if session is not None:
                return iter([copy.copy(e) for e in self._sessions.get(session, ())])
            merged = [copy.copy(e) for entries in self._sessions.values() for e in entries]
        return iter(sorted(merged, key=lambda e: e.seq))

    def query(
        self,
        *,
        session: str | None = None,
        api: str | None = None,
        status: int | None = None,
        rule: str | None = None,
        since: int | None = None,
        limit: int | None = None,
    ) -> list[Entry]:
        """Entries in the order they were recorded, filtered; ``since`` is a ``seq``.

        ``limit`` keeps the newest ``limit`` of them (0 keeps none).
        """
        found = [
            e
            for e in self._all(session)
            if (api is None or e.api == api)
            and (status is None or e.status == status)
            and (rule is None or e.rule == rule)
            and (since is None or e.seq > since)
        ]
        if limit is None:
            return found
        # Not found[-limit:]: that is everything for 0, and drops the oldest for -1.
        return found[max(len(found) - limit, 0) :] if limit > 0 else []

    def clear(self, session: str | None = None) -> None:
        with self._lock:
            if session is None:
                self._sessions.clear()
                self._costs.clear()
                self._bytes = 0
            else:
                self._drop_session(session)

    def __len__(self) -> int:
        with self._lock:
            return sum(len(entries) for entries in self._sessions.values())


def now() -> float:
    return time.time()
