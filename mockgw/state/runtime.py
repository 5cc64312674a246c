"""The one owner of a running server's state.

Scenarios and their per-session state (the engine), the journal, which scenario each
session was given, which sessions exist, the conversations the server holds (threads) and
what each codec remembers (the Anthropic prompt cache): all of it is reached through
:class:`Runtime`, and reset and closed here only, whether the admin API, the library or
the pytest plugin asks.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from mockgw.config import ServerConfig
from mockgw.core.conversations import ConversationStore
from mockgw.core.failures import UnknownScenario
from mockgw.errors import UsageError
from mockgw.protocols.codec import Codec
from mockgw.scenarios.engine import DEFAULT_SESSION, MAX_SESSIONS, Engine
from mockgw.scenarios.loader import LoadedScenario
from mockgw.state.journal import Journal
from mockgw.state.metrics import Metrics

# The one rule for a session id, wherever it comes from: the /session/ID/ prefix, the
# X-Mockgw-Session header, the admin API, the library. It is what a URL path segment and
# a header value can both carry (no '/', no control characters), bounded so that a
# client cannot make a journal key of any size. An id the API accepts must be one the
# admin API can reset; a stricter admin rule once left such sessions stuck.
MAX_SESSION_ID = 512
SESSION_ID_RULE = (
    f"a session id is 1-{MAX_SESSION_ID} printable characters without '/' "
    "(percent-encode it in a URL path)"
)


def valid_session_id(session: object) -> bool:
    return (
        isinstance(session, str)
        and 0 < len(session) <= MAX_SESSION_ID
        and session.isprintable()
        and "/" not in session
    )


@dataclass(frozen=True, slots=True)
class Misses:
    """The requests of a session that no rule matched."""

    count: int
    reports: tuple[str, ...]  # the latest near-miss reports, oldest first


class Runtime:
    """Everything one server remembers; see the module docstring."""

    def __init__(
        self,
        *,
        config: ServerConfig,
        engine: Engine,
        journal: Journal,
        codecs: Sequence[Codec],
    ) -> None:
        self.config = config
        self.started = time.monotonic()
        self.engine = engine
        self.journal = journal
        self.codecs = tuple(codecs)
        self._scenario_of: dict[str, str] = {}
        # Sessions created, reset or used by a request, in the order first seen; the
        # oldest are forgotten past the engine's own bound.
        self._sessions: OrderedDict[str, None] = OrderedDict()
        # Scenarios a session added for itself (inline rules): removed when it closes.
        self._owned: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        # Server-held conversations (threads), per session, whichever codec stored them.
        self.conversations = ConversationStore()
        # This server's own registry: servers that share a process count apart.
        self.metrics = Metrics(apis=[c.name for c in self.codecs], private=self._owned_by_session)

    # --- sessions -------------------------------------------------------------------

    def scenario_of(self, session: str) -> str | None:
        """The scenario chosen for ``session`` (by a fixture or the admin API)."""
        return self._scenario_of.get(session)

    def choose(self, session: str, scenario: str) -> None:
        """Answer ``session`` from ``scenario``, which must be loaded."""
        self.require_scenario(scenario)
        with self._lock:
            self._scenario_of[session] = scenario

    def create_session(self, session: str, *, scenario: str | None = None) -> None:
        if not valid_session_id(session):
            raise UsageError(f"{SESSION_ID_RULE}; got {session!r}")
        if scenario is not None:
            self.choose(session, scenario)
        self.engine.session(session)
        self.seen(session)

    def seen(self, session: str) -> None:
        """Note that ``session`` exists (a request used it)."""
        if session in self._sessions:
            return  # every request passes here: a known session costs one lookup
        with self._lock:
            self._sessions[session] = None
            if len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)

    def knows(self, session: str) -> bool:
        """Whether ``session`` exists: created, given a scenario, or used by a request."""
        with self._lock:
            return (
                session == DEFAULT_SESSION
                or session in self._sessions
                or session in self._scenario_of
            )

    def add_scenario(self, loaded: LoadedScenario, *, owner: str | None = None) -> None:
        """Load a scenario; one ``owner`` session adds for itself goes when it closes."""
        self.engine.add(loaded)
        if owner is not None:
            with self._lock:
                self._owned.setdefault(owner, []).append(loaded.scenario.scenario)

    def set_default(self, scenario: str | None) -> None:
        """The scenario for requests that choose none (``--scenario``); None for none."""
        if scenario is not None:
            self.require_scenario(scenario)
        self.engine.default = scenario

    def require_scenario(self, name: str) -> None:
        """Raise :class:`UsageError`, naming the loaded ones, unless ``name`` is loaded."""
        found = self.engine.resolve(name)
        if isinstance(found, UnknownScenario):
            raise UsageError(found.message)

    def misses(self, session: str) -> Misses:
        """Requests of ``session`` no rule matched, counted from its state, not from the
        bounded journal: eviction or ``journal_size=0`` cannot hide one."""
        state = self.engine.session(session)
        return Misses(state.misses, tuple(state.reports))

    def _owned_by_session(self, scenario: str) -> bool:
        with self._lock:
            return any(scenario in names for names in self._owned.values())

    # --- resets ---------------------------------------------------------------------

    def reset_state(self, session: str) -> None:
        """Forget the session's scenario state (states, counters, firings, buckets)."""
        self.engine.reset_session(session)

    def reset_session(self, session: str) -> None:
        """Forget the session's state and journal; it stays known, with its scenario."""
        self.reset_state(session)
        self.journal.clear(session)
        self.conversations.clear(session)
        for codec in self.codecs:
            codec.reset(session)
        self.seen(session)

    def close_session(self, session: str) -> None:
        """Forget the session entirely, with the scenarios it added for itself."""
        with self._lock:
            owned = self._owned.pop(session, [])
            self._scenario_of.pop(session, None)
            self._sessions.pop(session, None)
        for name in owned:
            self.engine.remove(name)
        self.reset_state(session)
        self.journal.clear(session)
        self.conversations.clear(session)
        for codec in self.codecs:
            codec.reset(session)

    def reset(self) -> None:
        """Forget every session's state, the whole journal and every codec's memory."""
        self.engine.reset_all()
        self.journal.clear()
        with self._lock:
            self._scenario_of.clear()
            self._sessions.clear()
        self.conversations.clear()
        for codec in self.codecs:
            codec.reset()
