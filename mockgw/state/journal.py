"""The request journal: what clients sent and what they got, bounded and redacted.

Entries are kept per session in ring buffers (``max_entries`` each, oldest dropped),
and only the most recently active sessions are kept, so a long CI run never grows
without limit. Credentials never enter it: auth headers are replaced before storage.

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
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from mockgw.errors import ConfigError

DEFAULT_MAX_ENTRIES = 1000
MAX_SESSIONS = 1000

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


class Journal:
    def __init__(self, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 0:
            # deque(maxlen=-1) would raise on the first request, answering it with a 500.
            raise ConfigError(f"--journal-size {max_entries}: must be 0 or more")
        self.max_entries = max_entries
        self._sessions: OrderedDict[str, deque[Entry]] = OrderedDict()
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def next_seq(self) -> int:
        return next(self._seq)

    def record(self, entry: Entry) -> None:
        with self._lock:
            entries = self._sessions.get(entry.session)
            if entries is None:
                entries = self._sessions[entry.session] = deque(maxlen=self.max_entries)
                if len(self._sessions) > MAX_SESSIONS:
                    self._sessions.popitem(last=False)
            else:
                self._sessions.move_to_end(entry.session)
            entries.append(entry)

    def update(self, entry: Entry, **fields: Any) -> None:
        """Change a recorded entry in place (completing it, say), atomically for readers."""
        with self._lock:
            for name, value in fields.items():
                setattr(entry, name, value)

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
            else:
                self._sessions.pop(session, None)

    def __len__(self) -> int:
        with self._lock:
            return sum(len(entries) for entries in self._sessions.values())


def now() -> float:
    return time.time()
