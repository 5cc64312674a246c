"""The request journal: what clients sent and what they got, bounded and redacted.

Entries are kept per session in ring buffers (``max_entries`` each, oldest dropped),
and only the most recently active sessions are kept, so a long CI run never grows
without limit. Credentials never enter it: auth headers are replaced before storage.

A request is recorded the moment it arrives, ``in_flight`` with no status yet, and
completed in place when its answer has gone out, so a hung or stalled request is
visible while it hangs. Queries return copies: what a caller holds never changes.
"""

from __future__ import annotations

import copy
import itertools
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from mockgw.errors import ConfigError

DEFAULT_MAX_ENTRIES = 1000
MAX_SESSIONS = 1000


@dataclass(slots=True)
class Entry:
    seq: int
    time: float  # unix seconds
    session: str
    api: str
    method: str
    path: str
    request_id: str
    headers: dict[str, str]
    body: Any
    status: int | None  # None while the request is in flight
    scenario: str | None
    rule: str | None
    error: str | None  # the error message sent (validation, scripted, near miss)
    code: str | None  # its code ("mockgw_no_match" for the near-miss 404)
    fault: str | None  # a connection or stream fault applied
    stream: bool
    events: int  # stream events sent whole (0 for a plain response)
    duration_ms: float
    in_flight: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


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
