"""Running the app as a process: bind, announce, and shut down on a signal."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from aiohttp import web

from mockgw.config import ServerConfig
from mockgw.errors import ConfigError
from mockgw.web.app import build_app
from mockgw.web.connections import Listener
from mockgw.web.frame import access_log

# How long in-flight responses get to finish once a shutdown signal arrives; then the
# connections left are dropped, so the process exits within about this (docs/ci.md).
SHUTDOWN_GRACE_SECONDS = 3.0


def listener(app: web.Application, config: ServerConfig, *, grace: float) -> Listener:
    """The listener serving ``app`` as ``config`` says (address and timeouts)."""
    return Listener(
        app,
        config.host,
        config.port,
        grace=grace,
        header_timeout=config.header_timeout_seconds,
        body_timeout=config.body_timeout_seconds,
        keepalive_timeout=config.keepalive_timeout_seconds,
    )


def banner(base: str) -> str:
    return (
        f"  OpenAI-compatible:  {base}/v1          (POST /v1/chat/completions)\n"
        f"  Anthropic Messages: {base}             (POST /v1/messages)\n"
        f"  Health:             {base}/__mockgw/health\n"
        f"  Try it:\n"
        f"    curl -s {base}/v1/chat/completions -H 'Authorization: Bearer test' \\\n"
        f"      -H 'Content-Type: application/json' \\\n"
        f'      -d \'{{"model": "gpt-4o", "messages": [{{"role": "user", "content": "Hi"}}]}}\''
    )


def write_ready_file(path: Path, base: str) -> None:
    """Write ``base`` to ``path`` atomically, so a watcher never reads half a URL."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(base + "\n", encoding="utf-8")
    os.replace(partial, path)


@contextmanager
def access_logging(stream: TextIO | None) -> Iterator[None]:
    """Write the access log (``mockgw.access``) to ``stream``, bare lines, while inside;
    None turns it off (``--quiet``).

    The lines do not go on to the root logger too: its ``mockgw:`` prefix is for
    messages, and a line must not be written twice.
    """
    level, propagate = access_log.level, access_log.propagate
    handler = None
    if stream is None:
        access_log.setLevel(logging.WARNING)  # below it, lines are not even formatted
    else:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False
    try:
        yield
    finally:
        if handler is not None:
            access_log.removeHandler(handler)
        access_log.setLevel(level)
        access_log.propagate = propagate


async def serve(
    config: ServerConfig,
    *,
    out: TextIO = sys.stdout,
    quiet: bool = False,
    ready_file: Path | None = None,
    log: TextIO | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM, then let in-flight responses finish.

    Unless ``quiet``, a banner follows the first line on ``out`` and the access log
    goes to ``log`` (standard error by default), one line per API request.
    """
    with access_logging(None if quiet else (log or sys.stderr)):
        await _serve(config, out=out, quiet=quiet, ready_file=ready_file)


async def _serve(
    config: ServerConfig, *, out: TextIO, quiet: bool, ready_file: Path | None
) -> None:
    # Handlers go in before the announcement: a signal sent the moment a script reads
    # the first line must already mean "shut down gracefully".
    if ready_file is not None:
        # A file left by a killed run would announce a dead URL to a job already waiting.
        ready_file.unlink(missing_ok=True)  # noqa: ASYNC240 - before serving anything
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    # Its connections get logger=protocol_log and auto_decompress=False
    # (web/connections.HANDLER_OPTIONS), as the runner's used to.
    serving = listener(build_app(config), config, grace=SHUTDOWN_GRACE_SECONDS)
    await serving.start()
    base = f"http://{config.host}:{serving.port}"
    # Scripts and CI wait for exactly this first line, so it must never change shape.
    print(f"mockgw listening on {base}", file=out, flush=True)
    if not quiet:
        print(banner(base), file=out, flush=True)
    try:
        if ready_file is not None:
            # Written once the socket accepts connections: CI can wait on its existence.
            try:
                write_ready_file(ready_file, base)
            except OSError as exc:
                # Not "cannot listen on ...": the socket is fine, the path is not.
                raise ConfigError(f"--ready-file {ready_file}: cannot write it: {exc}") from None
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await serving.close()
        if ready_file is not None:
            # Shutting down: nothing else runs on this loop any more, a blocking call is fine.
            ready_file.unlink(missing_ok=True)  # noqa: ASYNC240
