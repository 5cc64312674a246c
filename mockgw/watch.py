"""``--watch``: reload scenario files when they change, keeping the last good set.

Polling (twice a second) rather than inotify keeps this dependency-free and portable;
a scenario directory holds a handful of small files, so a stat per file is cheap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from aiohttp import web

from mockgw.scenarios.engine import Engine
from mockgw.scenarios.loader import ScenarioLoadError, load_scenarios, scenario_files

log = logging.getLogger("mockgw.watch")
POLL_SECONDS = 0.5

Snapshot = dict[Path, tuple[int, int]]


def snapshot(folder: Path) -> Snapshot:
    state: Snapshot = {}
    for path in scenario_files([folder]):
        with contextlib.suppress(OSError):  # deleted between listing and stat
            info = path.stat()
            state[path] = (info.st_mtime_ns, info.st_size)
    return state


def reload(folder: Path, engine: Engine) -> bool:
    """Load ``folder`` into ``engine``; on errors log them and keep what is loaded."""
    try:
        loaded = load_scenarios([folder], apis=engine.apis)
    except ScenarioLoadError as exc:
        log.error("scenario reload failed; the last good set stays live:\n%s", exc)
        return False
    if engine.default is not None and engine.default not in loaded:
        # Requests without a scenario would all get 404s; keep serving the old set.
        log.error(
            "scenario reload failed; the last good set stays live:\n"
            "the default scenario '%s' (--scenario) is no longer defined",
            engine.default,
        )
        return False
    engine.replace(loaded)
    log.info("reloaded %d scenario(s) from %s", len(loaded), folder)
    return True


def watcher(folder: Path, engine: Engine) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup context that polls ``folder`` while the app runs."""

    async def poll() -> None:
        seen = snapshot(folder)
        while True:
            await asyncio.sleep(POLL_SECONDS)
            current = snapshot(folder)
            if current != seen:
                seen = current
                try:
                    reload(folder, engine)
                except Exception:  # the watcher must outlive any one bad reload
                    log.exception("scenario reload failed; the last good set stays live")

    async def context(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(poll())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context
