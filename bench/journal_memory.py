"""The journal's memory under large bodies: a ``mockgw serve`` process's RSS, measured.

Sends SESSIONS x REQUESTS chat requests whose prompt is BODY bytes, reads the whole journal
back as JSONL, and reports the server's resident memory (VmRSS) after the requests and its
peak (VmHWM) after the read, from /proc (Linux only)::

    .venv/bin/python -m bench.journal_memory --sessions 3 --requests 1000 --body 1MiB

tests/functional/test_journal_memory.py runs a smaller case against a small budget.
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from mockgw.sizes import parse_size

LISTENING = "mockgw listening on http://127.0.0.1:"


@dataclass(frozen=True)
class Measured:
    rss_start: int  # bytes, after start-up
    rss_loaded: int  # after the requests
    peak: int  # VmHWM after reading the journal back
    exported: int  # bytes of JSONL read back
    entries: int
    seconds: float


def _status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise LookupError(field)


def _send(port: int, session: str, requests: int, body: bytes) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {
        "Authorization": "Bearer sk-memory",
        "Content-Type": "application/json",
        "X-Mockgw-Session": session,
    }
    for _ in range(requests):
        connection.request("POST", "/v1/chat/completions", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"status {response.status}")
    connection.close()


def measure(
    *, sessions: int, requests: int, body_bytes: int, journal_bytes: str | None
) -> Measured:
    """Run one server with ``--journal-bytes journal_bytes`` (None: the default, and no
    option, so that a mockgw without it can be measured too) and measure it."""
    filler = "x" * body_bytes
    body = json.dumps(
        {"model": "gpt-4o", "max_tokens": 5, "messages": [{"role": "user", "content": filler}]}
    ).encode()
    command = [sys.executable, "-m", "mockgw", "serve", "--port", "0", "--quiet"]
    process = subprocess.Popen(
        [*command, *(["--journal-bytes", journal_bytes] if journal_bytes else [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        if not first.startswith(LISTENING):
            raise RuntimeError(f"mockgw did not start: {first!r}")
        port = int(first.removeprefix(LISTENING))
        rss_start = _status(process.pid, "VmRSS")
        started = time.perf_counter()
        threads = [
            threading.Thread(target=_send, args=(port, f"memory-{i}", requests, body))
            for i in range(sessions)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rss_loaded = _status(process.pid, "VmRSS")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.request("GET", "/__mockgw/requests.jsonl")
        response = connection.getresponse()
        exported = entries = 0
        while chunk := response.read(1 << 20):
            exported += len(chunk)
            entries += chunk.count(b"\n")
        connection.close()
        peak = _status(process.pid, "VmHWM")
        seconds = time.perf_counter() - started
    finally:
        process.kill()
        process.wait(10)
    return Measured(rss_start, rss_loaded, peak, exported, entries, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--body", default="1MiB")
    parser.add_argument("--journal-bytes", default=None, help="default: mockgw's own")
    args = parser.parse_args()
    result = measure(
        sessions=args.sessions,
        requests=args.requests,
        body_bytes=parse_size(args.body),
        journal_bytes=args.journal_bytes,
    )
    mib = 1024 * 1024
    budget = args.journal_bytes or "default"
    print(
        f"{args.sessions} sessions x {args.requests} requests of {args.body}, "
        f"--journal-bytes {budget}: RSS {result.rss_start / mib:.0f} MiB at start, "
        f"{result.rss_loaded / mib:.0f} MiB after the requests, peak {result.peak / mib:.0f} MiB "
        f"after reading {result.entries} entries ({result.exported / mib:.0f} MiB of JSONL); "
        f"{result.seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
