"""Run a mockgw app on its own event loop in a daemon thread.

Synchronous SDK clients block the thread that calls them, so a server they talk to
cannot share that thread's event loop; this one owns a loop in a background thread
and is started and stopped from any thread. The pytest fixtures build on it.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

from aiohttp import web

from mockgw.config import ServerConfig
from mockgw.server import listener
from mockgw.web.app import build_app
from mockgw.web.connections import Listener

_START_TIMEOUT_SECONDS = 10.0
# A test's server stops at once: in-flight responses get this long to finish.
_SHUTDOWN_GRACE_SECONDS = 1.0


class BackgroundServer:
    """A mockgw server in a thread: ``with BackgroundServer(config) as server: ...``."""

    def __init__(self, config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig(port=0)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._listener: Listener | None = None
        self.app: web.Application | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:53211``."""
        return f"http://{self.config.host}:{self.port}"

    def start(self) -> BackgroundServer:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        self.port = future.result(_START_TIMEOUT_SECONDS)
        return self

    async def _start(self) -> int:
        self.app = build_app(self.config)
        # The same listener as `mockgw serve` (timeouts, JSON errors, shedding).
        self._listener = listener(self.app, self.config, grace=_SHUTDOWN_GRACE_SECONDS)
        await self._listener.start()
        return self._listener.port

    def stop(self) -> None:
        if self._listener is not None:
            serving, self._listener = self._listener, None
            asyncio.run_coroutine_threadsafe(serving.close(), self._loop).result(
                _START_TIMEOUT_SECONDS
            )
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(_START_TIMEOUT_SECONDS)
        if not self._loop.is_closed() and not self._loop.is_running():
            self._loop.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
