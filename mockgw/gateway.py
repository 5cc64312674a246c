"""MockGateway: mockgw as a library, in-process, for tests and scripts.

One gateway is one server in a background thread (so synchronous and asynchronous
clients both work). Tests share it and isolate themselves through sessions: each
:class:`GatewaySession` has its own counters, states and journal view, and hands out
base URLs and SDK clients that are already pointed at it.

    with MockGateway() as gateway:  # the shipped library: "weather", "echo", ...
        session = gateway.session(scenario="weather")
        client = session.openai_client()
        ...
        session.assert_called(rule="ask-tool", times=1)
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

from mockgw.background import BackgroundServer
from mockgw.codecs import STANDARD_CODECS
from mockgw.config import DEFAULT_JOURNAL_BYTES, ServerConfig
from mockgw.core.models import ModelCatalogue
from mockgw.core.profiles import DEFAULT_PROFILE, Profile
from mockgw.errors import UsageError
from mockgw.protocols.codec import Codec
from mockgw.scenarios.engine import RESERVED_LABELS, UNMATCHED, Engine
from mockgw.scenarios.loader import load_rules, load_text
from mockgw.state.journal import NO_ROUTE, WRONG_METHOD, Entry, Journal
from mockgw.state.runtime import Misses, Runtime
from mockgw.web.app import RUNTIME

# Any non-empty key is accepted unless keys are configured; this one reads as fake.
DEFAULT_API_KEY = "sk-mockgw-test-key"
_ENV_NAMES = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY")
_counter = itertools.count(1)


class MockGateway:
    """An in-process mockgw server; keyword arguments mirror ``mockgw serve``.

    ``scenarios_dirs`` are the user's scenario directories (``scenarios_dir`` is the
    spelling for one, and goes first when both are given); the shipped library's
    scenarios (``weather``, ``echo``, ...) are there by name unless ``library=False``,
    and a user directory defining the same name wins.
    """

    def __init__(
        self,
        *,
        scenarios_dir: str | Path | None = None,
        scenarios_dirs: Iterable[str | Path] = (),
        library: bool = True,
        scenario: str | None = None,
        api_keys: Iterable[str] = (),
        strict: bool = False,
        profile: Profile = DEFAULT_PROFILE,
        any_model: bool = False,
        seed: int = 0,
        chaos: str | None = None,
        journal_size: int = 1000,
        journal_bytes: int = DEFAULT_JOURNAL_BYTES,
        max_wait_seconds: float = 30.0,
        host: str = "127.0.0.1",
        port: int = 0,
        allowed_hosts: Iterable[str] = (),
        codecs: Iterable[Callable[[], Codec]] | None = None,
    ) -> None:
        keys = frozenset(api_keys)
        self.config = ServerConfig(
            host=host,
            port=port,
            allowed_hosts=tuple(allowed_hosts),
            scenarios_dir=Path(scenarios_dir) if scenarios_dir is not None else None,
            scenarios_dirs=tuple(Path(folder) for folder in scenarios_dirs),
            library=library,
            scenario=scenario,
            api_keys=keys,
            strict=strict,
            profile=profile,
            models=ModelCatalogue.default(accept_any=any_model),
            seed=seed,
            chaos=chaos,
            journal_size=journal_size,
            journal_bytes=journal_bytes,
            max_wait_seconds=max_wait_seconds,
            codecs=tuple(codecs) if codecs is not None else STANDARD_CODECS,
        )
        self.api_key = next(iter(sorted(keys))) if keys else DEFAULT_API_KEY
        self._server = BackgroundServer(self.config)

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> MockGateway:
        try:
            self._server.start()
        except BaseException:
            self._server.stop()
            raise
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> MockGateway:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> MockGateway:
        # The server has its own loop and thread; starting it must not block this loop.
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)

    # --- addresses --------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def openai_base_url(self) -> str:
        return self.url + "/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    # --- state --------------------------------------------------------------------------

    @property
    def runtime(self) -> Runtime:
        """The running server's state: engine, journal, sessions, codecs."""
        app = self._server.app
        if app is None:
            raise UsageError(
                "the gateway is not running: use it as a context manager or start() it"
            )
        return app[RUNTIME]

    @property
    def engine(self) -> Engine:
        return self.runtime.engine

    @property
    def journal(self) -> Journal:
        return self.runtime.journal

    def add_scenario(self, text: str, *, name: str = "<inline>") -> list[str]:
        """Load scenario YAML (one or more documents); returns the names added."""
        loaded = load_text(text, name=name, apis=self.engine.apis)
        for item in loaded.values():
            self.runtime.add_scenario(item)
        return list(loaded)

    def session(
        self,
        name: str | None = None,
        *,
        scenario: str | None = None,
        strict: bool = True,
        rules: str | Iterable[Mapping[str, Any]] | None = None,
        env: bool = False,
    ) -> GatewaySession:
        """A fresh isolated session (a new id unless ``name`` is given).

        ``scenario`` answers it from a loaded scenario, ``rules`` from inline rules;
        ``strict`` makes :meth:`GatewaySession.check` fail on unmatched requests;
        ``env`` points the SDKs' environment variables here until it closes.
        Raises :class:`~mockgw.errors.UsageError` for a bad id or scenario.
        """
        session_id = name or f"s{next(_counter)}-{uuid.uuid4().hex[:8]}"
        self.runtime.create_session(session_id)
        handle = GatewaySession(self, session_id, strict=strict)
        try:
            if scenario is not None:
                handle.use(scenario)
            if rules is not None:
                handle.add_rules(rules)
        except BaseException:
            handle.close()
            raise
        if env:
            handle._patch_env()
        return handle

    def requests(self, **filters: Any) -> list[Entry]:
        """Journal entries across sessions; filters as :meth:`Journal.query`."""
        return self.journal.query(**filters)

    def reset(self) -> None:
        """Forget every session's state, the whole journal and the prompt cache.

        The same as the admin API's ``POST /__mockgw/reset``.
        """
        self.runtime.reset()


class GatewaySession:
    """One isolated view of a :class:`MockGateway`: its own state and journal."""

    def __init__(self, gateway: MockGateway, session_id: str, *, strict: bool = True) -> None:
        self.gateway = gateway
        self.id = session_id
        # Strict: a request that matched no rule fails check() (the fixture's teardown).
        self.strict = strict
        self._inline = 0
        self._saved_env: dict[str, str | None] | None = None
        # Sync SDK clients this session built, closed by close() with their connection pools.
        self._clients: list[Any] = []

    # --- addresses ------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL carrying this session: ``http://127.0.0.1:PORT/session/ID``."""
        # Percent-encoded: an id may hold spaces, '%', '?' or non-ASCII (not '/').
        return f"{self.gateway.url}/session/{quote(self.id, safe='')}"

    @property
    def openai_base_url(self) -> str:
        return self.url + "/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    @property
    def api_key(self) -> str:
        return self.gateway.api_key

    @property
    def headers(self) -> dict[str, str]:
        """Headers that select this session, for clients whose base URL is fixed."""
        return {"X-Mockgw-Session": self.id}

    # --- scripting --------------------------------------------------------------------

    def use(self, scenario: str) -> GatewaySession:
        """Answer this session's requests from ``scenario`` (a loaded one); an unknown
        name raises :class:`~mockgw.errors.UsageError` naming the loaded ones."""
        self.gateway.runtime.choose(self.id, scenario)
        return self

    def add_rules(self, rules: str | Iterable[Mapping[str, Any]]) -> GatewaySession:
        """Script this session with inline rules: a YAML list or a list of dicts."""
        self._inline += 1
        name = f"inline-{self.id}-{self._inline}"
        # Loaded as given, not re-dumped: problems point at the caller's own lines.
        source = f"<rules of session {self.id}>"
        apis = self.gateway.engine.apis
        loaded = load_rules(rules, scenario=name, source=source, apis=apis)
        self.gateway.runtime.add_scenario(loaded, owner=self.id)
        return self.use(name)

    # --- journal and assertions --------------------------------------------------------

    def requests(self, **filters: Any) -> list[Entry]:
        return self.gateway.journal.query(session=self.id, **filters)

    @property
    def unmatched(self) -> list[Entry]:
        """Journal entries of requests no rule matched (as far as the journal keeps)."""
        return [e for e in self.requests() if e.rule == UNMATCHED]

    @property
    def misses(self) -> Misses:
        """Requests no rule matched, counted from the session's state: complete even
        when the bounded journal has dropped them."""
        return self.gateway.runtime.misses(self.id)

    def check(self) -> None:
        """Raise AssertionError if this strict session had requests no rule matched, with
        their near-miss reports, or requests to endpoints mockgw does not serve
        (pytest-httpserver's ``check_assertions``). The pytest fixture calls it at teardown."""
        if not self.strict:
            return
        misses = self.misses
        unserved = [e for e in self.requests() if e.code in (NO_ROUTE, WRONG_METHOD)]
        allow = "strict mode; @pytest.mark.mockgw(strict=False) or session(strict=False) allows it"
        problems: list[str] = []
        if misses.count:
            shown = misses.reports
            more = misses.count - len(shown)
            tail = f"\n\n(and {more} earlier ones)" if more else ""
            problems.append(
                f"mockgw: {misses.count} request(s) matched no rule ({allow}):\n\n"
                + "\n\n".join(shown)
                + tail
            )
        if unserved:
            # A client calling an endpoint mockgw lacks got a 404/405 it may have swallowed.
            problems.append(
                f"mockgw: {len(unserved)} request(s) to endpoints mockgw does not serve "
                f"({allow}):\n" + "\n".join(f"  #{e.seq} {e.error}" for e in unserved)
            )
        if problems:
            raise AssertionError("\n\n".join(problems))

    def assert_called(
        self,
        *,
        times: int | None = None,
        rule: str | None = None,
        api: str | None = None,
        status: int | None = None,
    ) -> list[Entry]:
        """Assert requests matching the filters arrived (``times`` exactly, or any)."""
        found = self.requests(rule=rule, api=api, status=status)
        wanted = [f"{k}={v!r}" for k, v in (("rule", rule), ("api", api), ("status", status)) if v]
        what = " and ".join(wanted) or "any request"
        if (times is None and not found) or (times is not None and len(found) != times):
            expected = "at least once" if times is None else f"{times} time(s)"
            raise AssertionError(
                f"expected {what} {expected}, got {len(found)}.\n{self.describe_requests()}"
            )
        return found

    def assert_not_called(self, **filters: Any) -> None:
        self.assert_called(times=0, **filters)

    def describe_requests(self) -> str:
        entries = self.requests()
        if not entries:
            return f"session '{self.id}' received no requests."
        lines = [f"session '{self.id}' received {len(entries)} request(s):"]
        for e in entries:
            # A rule's name, or (for no match, a limit, an unknown scenario) why not.
            by_rule = e.rule is not None and e.rule not in RESERVED_LABELS
            outcome = f"rule {e.scenario}/{e.rule}" if by_rule else (e.error or "").split("\n")[0]
            lines.append(f"  #{e.seq} {e.method} {e.path} [{e.api}] -> {e.status} {outcome}")
        return "\n".join(lines)

    def near_misses(self) -> str:
        return "\n\n".join(self.misses.reports)

    # --- clients --------------------------------------------------------------------

    def openai_client(self, **kwargs: Any) -> Any:
        """An ``openai.OpenAI`` pointed at this session (needs the openai package)."""
        import openai

        return self._kept(
            openai.OpenAI(base_url=self.openai_base_url, api_key=self.api_key, **kwargs)
        )

    def _kept(self, client: Any) -> Any:
        self._clients.append(client)
        return client

    def async_openai_client(self, **kwargs: Any) -> Any:
        """An ``openai.AsyncOpenAI``; close it yourself (``async with`` it), since
        close() is synchronous and cannot await its ``close()``."""
        import openai

        return openai.AsyncOpenAI(base_url=self.openai_base_url, api_key=self.api_key, **kwargs)

    def anthropic_client(self, **kwargs: Any) -> Any:
        """An ``anthropic.Anthropic`` pointed at this session (needs the anthropic package)."""
        import anthropic

        return self._kept(
            anthropic.Anthropic(base_url=self.anthropic_base_url, api_key=self.api_key, **kwargs)
        )

    def async_anthropic_client(self, **kwargs: Any) -> Any:
        """An ``anthropic.AsyncAnthropic``; close it yourself, as for async_openai_client."""
        import anthropic

        return anthropic.AsyncAnthropic(
            base_url=self.anthropic_base_url, api_key=self.api_key, **kwargs
        )

    @contextlib.contextmanager
    def patched_env(self) -> Iterator[None]:
        """Point code that builds its own clients here via the SDKs' environment
        variables; the previous values are restored on exit."""
        self._patch_env()
        try:
            yield
        finally:
            self._restore_env()

    def _patch_env(self) -> None:
        if self._saved_env is None:
            self._saved_env = {name: os.environ.get(name) for name in _ENV_NAMES}
        os.environ.update(
            OPENAI_BASE_URL=self.openai_base_url,
            OPENAI_API_KEY=self.api_key,
            ANTHROPIC_BASE_URL=self.anthropic_base_url,
            ANTHROPIC_API_KEY=self.api_key,
        )

    def _restore_env(self) -> None:
        saved, self._saved_env = self._saved_env, None
        for name, value in (saved or {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def __enter__(self) -> GatewaySession:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def reset(self) -> None:
        """Forget this session's state and journal entries."""
        self.gateway.runtime.reset_session(self.id)

    def close(self) -> None:
        """Release everything this session added to the shared gateway: its inline
        scenarios, its state, its journal entries, and any patched environment. The
        pytest fixture calls this at teardown, so a long run does not accumulate one
        scenario per test."""
        self._restore_env()
        clients, self._clients = self._clients, []
        for client in clients:
            client.close()
        self.gateway.runtime.close_session(self.id)
