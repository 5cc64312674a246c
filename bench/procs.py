"""Server child processes: start, wait for the announced URL, meter CPU, stop.

Each server gets its own process so that the load generator never shares an event
loop (or a core, on a 2-core machine) with the server it measures.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

# Both servers announce themselves as "<name> listening on http://HOST:PORT" first.
_LISTENING = re.compile(rb"listening on (http://\S+)")
_START_TIMEOUT_SECONDS = 30.0
_STOP_GRACE_SECONDS = 5.0


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to SIGTERM the child if the bench dies (even SIGKILL).

    The ``finally`` in the bench covers Ctrl-C and normal exits; this covers the rest,
    so no orphaned server is ever left holding a core.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    pr_set_pdeathsig = 1

    def hook() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)

    return hook


class ServerProcess:
    """One server child; ``url`` is known once :meth:`start` returns."""

    def __init__(
        self, name: str, argv: Sequence[str], log: Path, *, cwd: Path | None = None
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log = log
        self.cwd = cwd
        self.url = ""
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        # Output goes to a file, not a pipe: nobody reads a pipe after the first
        # line, and a full pipe would stall the server mid-benchmark.
        with self.log.open("wb") as out:
            self._proc = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent(),  # safe: the bench starts no threads
            )
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            match = _LISTENING.search(self.log.read_bytes())
            if match:
                self.url = match.group(1).decode()
                return self.url
            if self._proc.poll() is not None:
                break
            time.sleep(0.05)
        tail = self.log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{self.name} did not start ({' '.join(self.argv)}):\n{tail}")

    def check_alive(self) -> None:
        """Raise if the server has exited: loading a dead port only measures errors."""
        if self._proc is not None and self._proc.poll() is not None:
            tail = self.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{self.name} exited with {self._proc.returncode}:\n{tail}")

    def cpu_seconds(self) -> float | None:
        """User + system CPU the child has used so far (Linux /proc; None elsewhere)."""
        if self._proc is None:
            return None
        try:
            stat = Path(f"/proc/{self._proc.pid}/stat").read_text()
        except OSError:
            return None
        # Fields after the parenthesised command name; utime and stime are 14 and 15.
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """SIGTERM (both servers shut down cleanly on it), then SIGKILL if it lingers."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            proc.wait(timeout=_STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
