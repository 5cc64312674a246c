"""``--watch`` keeps serving while it reloads, never takes an empty file for a valid set,
and sees edits that restore size and mtime (``cp -p``, ``rsync -t``)."""

from __future__ import annotations

import logging
import os
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mockgw import watch
from mockgw.background import BackgroundServer
from mockgw.config import ServerConfig
from tests.functional.test_library import _reply, _scenario, _write


def _until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s: {what}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[BackgroundServer, Path]]:
    path = _write(tmp_path, "w", _scenario("w", "first"))
    config = ServerConfig(port=0, scenarios_dirs=(tmp_path,), watch=True, library=False)
    with BackgroundServer(config) as server:
        yield server, path


def test_an_empty_file_keeps_the_last_good_set(
    served: tuple[BackgroundServer, Path], caplog: pytest.LogCaptureFixture
) -> None:
    # An editor truncates, then writes: in between, the file defined "no scenarios", and
    # requests got 404 "no scenario named 'w'".
    server, path = served
    caplog.set_level(logging.WARNING, "mockgw.watch")
    path.write_text("", encoding="utf-8")
    _until(lambda: "is empty" in caplog.text, "the empty file reported")
    assert f"{path} is empty (delete the file to remove its scenarios)" in caplog.text
    assert _reply(server.url, "/s/w")[:2] == (200, "first")
    path.write_text(_scenario("w", "second"), encoding="utf-8")
    _until(lambda: _reply(server.url, "/s/w")[1] == "second", "the written file served")


def test_an_edit_that_restores_size_and_mtime_is_seen(
    served: tuple[BackgroundServer, Path],
) -> None:
    server, path = served
    before = path.stat()
    path.write_text(_scenario("w", "FIRST"), encoding="utf-8")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # what cp -p does
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    _until(lambda: _reply(server.url, "/s/w")[1] == "FIRST", "the edit served")


def test_a_same_second_rewrite_is_caught_by_its_hash(tmp_path: Path) -> None:
    path = _write(tmp_path, "w", _scenario("w", "first"))
    seen = watch.snapshot([tmp_path])
    path.write_text(_scenario("w", "FIRST"), encoding="utf-8")
    info = path.stat()
    # Pretend the filesystem's clock did not move: the stat is the same as before.
    old = seen[path]
    seen[path] = watch.Seen(
        (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns), old.digest
    )
    assert watch.changed(seen, watch.snapshot([tmp_path], seen))  # written just now: hashed


def test_touching_a_file_reloads_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path, "w", _scenario("w", "first"))
    seen = watch.snapshot([tmp_path])
    os.utime(path)
    assert not watch.changed(seen, watch.snapshot([tmp_path], seen))


# Enough to take a measurable time to load; the 5,000-rule figures are in CHANGELOG.md.
RULES = 2000


def _big_scenario(rules: int, reply: str) -> str:
    lines = ["scenario: big", "rules:"]
    for i in range(rules):
        lines += [
            f"  - name: r{i}",
            f"    when: {{last_user: 'ask {i}'}}",
            f"    reply: {{text: '{reply}'}}",
        ]
    lines += ["  - name: any", f"    reply: {{text: '{reply}'}}"]
    return "\n".join(lines) + "\n"


def worst_stall_during_reload(folder: Path, url: str, rules: int) -> tuple[float, float]:
    """Rewrite ``folder``'s big file, then ping the server until the new set answers:
    the longest a ping took, and how long the reload took."""
    (folder / "big.yaml").write_text(_big_scenario(rules, "after"), encoding="utf-8")
    worst, started = 0.0, time.perf_counter()
    while True:
        sent = time.perf_counter()
        with urllib.request.urlopen(f"{url}/__mockgw/health", timeout=30) as response:
            response.read()
        worst = max(worst, time.perf_counter() - sent)
        if _reply(url, "/s/big")[1] == "after":
            return worst, time.perf_counter() - started
        if time.perf_counter() - started > 60:
            raise AssertionError("the reload never happened")
        time.sleep(0.01)


@pytest.mark.slow
def test_a_big_reload_does_not_stall_requests(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_text(_big_scenario(RULES, "before"), encoding="utf-8")
    config = ServerConfig(port=0, scenarios_dirs=(tmp_path,), watch=True, library=False)
    with BackgroundServer(config) as server:
        assert _reply(server.url, "/s/big")[1] == "before"
        worst, took = worst_stall_during_reload(tmp_path, server.url, RULES)
    # On the loop, the reload held every request for all of it (1.8 s on 2 cores); in a
    # thread, a ping waits at most a few GIL switch intervals at a time.
    assert took > 0.3, f"the reload took only {took:.2f} s: too small to measure a stall"
    assert worst < max(0.25, took / 3), f"a ping waited {worst:.2f} s of a {took:.2f} s reload"


def test_the_watcher_runs_its_work_in_threads(tmp_path: Path) -> None:
    # The cheap proof for every run: snapshot and reload happen off the loop's thread.
    threads: list[str] = []
    original = watch.snapshot

    def spy(*args: object, **kwargs: object) -> watch.Snapshot:
        threads.append(threading.current_thread().name)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    _write(tmp_path, "w", _scenario("w", "first"))
    config = ServerConfig(port=0, scenarios_dirs=(tmp_path,), watch=True, library=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(watch, "snapshot", spy)
        with BackgroundServer(config) as server:
            _until(lambda: len(threads) >= 2, "two polls")
            loop_thread = server._thread.name
    assert threads
    assert loop_thread not in threads
