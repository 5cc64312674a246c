"""``--watch``: reload scenario files when they change, keeping the last good set.

Polling (twice a second) rather than inotify keeps this dependency-free and portable.
Each poll stats every file, off the event loop; a file counts as changed when its inode,
size, mtime or ctime differ, or, for a file written in the last RACY_SECONDS (where a
same-second rewrite can keep all of those), when its content hash does. ctime is what
catches ``cp -p`` and ``rsync -t``: they restore size and mtime, never ctime. A change
whose content hashes the same (a ``touch``) reloads nothing.

A reload reads, validates and compiles the files in a thread and then swaps the new set
in at once (``Engine.replace``): a 5,000-rule file no longer stalls every request while
it loads. An empty file is what an editor leaves for a moment while it saves; it never
counts as "no scenarios": the last good set stays, with a warning. The library is part
of the installed package and is not watched.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from mockgw.scenarios.engine import Engine
from mockgw.scenarios.library import load_sources
from mockgw.scenarios.loader import ScenarioLoadError, scenario_files

log = logging.getLogger("mockgw.watch")
POLL_SECONDS = 0.5
# Filesystem timestamps can be this coarse; within it a rewrite may leave stat unchanged.
RACY_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Seen:
    """One file as a poll saw it."""

    stat: tuple[int, int, int, int]  # inode, size, mtime, ctime (ns)
    digest: bytes


Snapshot = dict[Path, Seen]


def _digest(path: Path) -> bytes:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).digest()


def snapshot(folders: Sequence[Path], previous: Snapshot | None = None) -> Snapshot:
    """Every scenario file's stat and hash; a file's hash is reused from ``previous`` when
    its stat is unchanged and it was not written within RACY_SECONDS."""
    state: Snapshot = {}
    racy_after = time.time_ns() - int(RACY_SECONDS * 1e9)
    for path in scenario_files(folders):
        with contextlib.suppress(OSError):  # deleted between listing and reading
            info = path.stat()
            stat = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
            old = (previous or {}).get(path)
            fresh = max(info.st_mtime_ns, info.st_ctime_ns) > racy_after
            if old is not None and old.stat == stat and not fresh:
                state[path] = old
            else:
                state[path] = Seen(stat, _digest(path))
    return state


def changed(before: Snapshot, after: Snapshot) -> bool:
    """Whether the files' set or any file's content differs."""
    return {p: s.digest for p, s in before.items()} != {p: s.digest for p, s in after.items()}


def _empty_files(folders: Sequence[Path]) -> list[Path]:
    empty = []
    for path in scenario_files(folders):
        with contextlib.suppress(OSError):
            if not path.read_bytes().strip():
                empty.append(path)
    return empty


def reload(folders: Sequence[Path], engine: Engine, *, library: bool = True) -> bool:
    """Load ``folders`` (over the library) into ``engine``; on errors log them and keep
    what is loaded. A name repeated across the folders is such an error, and so is an
    empty file. Blocking: the watcher runs it in a thread."""
    empty = _empty_files(folders)
    if empty:
        # Most likely an editor between truncating and writing; a file really meant to
        # define nothing can be deleted instead.
        log.warning(
            "scenario reload skipped; the last good set stays live: %s is empty "
            "(delete the file to remove its scenarios)",
            ", ".join(str(path) for path in empty),
        )
        return False
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
    engine.replace(loaded)  # compiles, then swaps under the engine's lock
    where = ", ".join(str(folder) for folder in folders)
    log.info("reloaded %d scenario(s) from %s", len(loaded), where)
    return True


def watcher(
    folders: Sequence[Path], engine: Engine, *, library: bool = True
) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup context that polls ``folders`` while the app runs."""

    async def poll(seen: Snapshot) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                current = await asyncio.to_thread(snapshot, folders, seen)
                if changed(seen, current):
                    await asyncio.to_thread(reload, folders, engine, library=library)
                seen = current
            except Exception:  # the watcher must outlive any one bad reload
                log.exception("scenario reload failed; the last good set stays live")

    async def context(app: web.Application) -> AsyncIterator[None]:  # noqa: ARG001 (cleanup_ctx)
        # Taken before the server is up: an edit made once it answers is always a change.
        task = asyncio.create_task(poll(await asyncio.to_thread(snapshot, folders)))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context
