"""One frozen configuration for a server, whoever builds it (CLI, fixture, library)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import InitVar, dataclass, field
from pathlib import Path

from mockgw.codecs import STANDARD_CODECS
from mockgw.core.models import ModelCatalogue
from mockgw.core.profiles import DEFAULT_PROFILE, Profile
from mockgw.protocols.codec import Codec

# The real Messages API accepts 32 MB; the OpenAI limit is not published, so both
# endpoints share Anthropic's figure (docs/deviations.md).
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
# The whole journal's byte budget: with bodies cut at 64 KiB (state/journal.BODY_LIMIT),
# a session's default 1000 entries fit (about 64 MiB) and several busy sessions still do.
DEFAULT_JOURNAL_BYTES = 256 * 1024 * 1024

# Connection timeouts, close to nginx's defaults (client_header_timeout,
# client_body_timeout, keepalive_timeout), so a slow or idle client cannot hold a
# connection (and its file descriptor) for ever (web/connections.py).
DEFAULT_HEADER_TIMEOUT = 60.0
DEFAULT_BODY_TIMEOUT = 60.0
DEFAULT_KEEPALIVE_TIMEOUT = 75.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerConfig:
    """What a server serves and how; ``scenarios_dir=`` is the one-directory spelling
    of ``scenarios_dirs=`` (it goes first when both are given)."""

    host: str = "127.0.0.1"
    port: int = 8080
    # The user's scenario directories; a name must be defined in only one of their files.
    scenarios_dirs: tuple[Path, ...] = ()
    scenarios_dir: InitVar[Path | None] = None
    # The shipped scenarios (mockgw/library/), under their names unless a user
    # directory defines the same name: the user's file wins.
    library: bool = True
    # The scenario answering requests that choose none (header or URL prefix).
    scenario: str | None = None
    # Reload scenario files when they change, keeping the last good set on errors.
    watch: bool = False
    # Empty means "any non-empty key is accepted", the convenient default for tests.
    api_keys: frozenset[str] = frozenset()
    # Reject unknown request fields the way the real APIs do, instead of warning.
    strict: bool = False
    # Which service the answers look like (mockgw/core/profiles.py); a scenario's
    # ``profile:`` overrides it for the requests that scenario answers.
    profile: Profile = DEFAULT_PROFILE
    models: ModelCatalogue = field(default_factory=ModelCatalogue.default)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # The longest one response holds its connection, from the request's arrival, all
    # scripted waits (delay, pacing, hang, stall, fail after) included, so none leaks.
    max_wait_seconds: float = 30.0
    # Seeds every random choice (probabilities, delay distributions, jitter).
    seed: int = 0
    # A scenario whose rules are tried before every request's own: server-wide chaos.
    chaos: str | None = None
    # Journal entries kept per session (oldest dropped first).
    journal_size: int = 1000
    # When set, the admin API (all but health) needs "Authorization: Bearer <token>".
    admin_token: str | None = None
    # Host names (a name, a ".domain" suffix, an IP, "*") the admin API answers for,
    # besides the loopback names and the bound address: the --allow-host values.
    allowed_hosts: tuple[str, ...] = ()
    # The wire formats served, each made afresh per server; the first is the default
    # for requests that no codec claims.
    codecs: tuple[Callable[[], Codec], ...] = STANDARD_CODECS

    # --- journal memory (state/journal.py) ---
    # What the whole journal may hold, in bytes, across sessions (oldest dropped first).
    journal_bytes: int = DEFAULT_JOURNAL_BYTES

    # --- slow and idle clients (web/connections.py) ---
    # A request's line and headers must arrive within this, from the connection's
    # opening or the request's first byte; then a 408 and the connection is closed.
    header_timeout_seconds: float = DEFAULT_HEADER_TIMEOUT
    # A request's body must arrive whole within this, once the server starts reading it.
    body_timeout_seconds: float = DEFAULT_BODY_TIMEOUT
    # An idle keep-alive connection is closed after this.
    keepalive_timeout_seconds: float = DEFAULT_KEEPALIVE_TIMEOUT

    def __post_init__(self, scenarios_dir: Path | None) -> None:
        directories = tuple(Path(d) for d in self.scenarios_dirs)
        if scenarios_dir is not None:
            directories = (Path(scenarios_dir), *directories)
        object.__setattr__(self, "scenarios_dirs", directories)
