"""``--watch``: reload scenario files when they change, keeping the last good set.

Polling (twice a second) rather than inotify keeps this dependency-free and portable;
scenario directories hold a handful of small files, so a stat per file is cheap. The
library is part of the installed package and is not watched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

from aiohttp import web

from mockgw.scenarios.engine import Engine
from mockgw.scenarios.library import load_sources
from mockgw.scenarios.loader import ScenarioLoadError, scenario_files

log = logging.getLogger("mockgw.watch")
POLL_SECONDS = 0.5

Snapshot = dict[Path, tuple[int, int]]


def snapshot(folders: Sequence[Path]) -> Snapshot:
    state: Snapshot = {}
    for path in scenario_files(folders):
        with contextlib.suppress(OSError):  # deleted between listing and stat
            info = path.stat()
            state[path] = (info.st_mtime_ns, info.st_size)
    return state


def reload(folders: Sequence[Path], engine: Engine, *, library: bool = True) -> bool:
    """Load ``folders`` (over the library) into ``engine``; on errors log them and keep
    what is loaded. A name repeated across the folders is such an error."""
    try:
        loaded = load_sources(folders, library=library, apis=engine.apis)
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
    where = ", ".join(str(folder) for folder in folders)
    log.info("reloaded %d scenario(s) from %s", len(loaded), where)
    return True


def watcher(
    folders: Sequence[Path], engine: Engine, *, library: bool = True
) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup context that polls ``folders`` while the app runs."""

    async def poll() -> None:
        seen = snapshot(folders)
        while True:
            await asyncio.sleep(POLL_SECONDS)
            current = snapshot(folders)
            if current != seen:
                seen = current
                try:
                    reload(folders, engine, library=library)
                except Exception:  # the watcher must outlive any one bad reload
                    log.exception("scenario reload failed; the last good set stays live")

    async def context(app: web.Application) -> AsyncIterator[None]:  # noqa: ARG001 (cleanup_ctx)
        task = asyncio.create_task(poll())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context
