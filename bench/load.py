"""The load generator: N workers on one aiohttp ClientSession, for a fixed time.

Both servers get exactly this generator, in the bench's own process, so whatever
it costs is the same on both sides of the ratio.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

PATH = "/v1/chat/completions"
HEADERS = {"Authorization": "Bearer bench", "Content-Type": "application/json"}
# A stuck request must not hang the bench: it counts as an error instead.
REQUEST_TIMEOUT_SECONDS = 10.0
# Stops a phase by count as well as by time, whatever the machine's speed.
MAX_REQUESTS_PER_PHASE = 2_000_000


def request_body(*, stream: bool) -> bytes:
    """A realistic small chat request; identical bytes for both servers."""
    body: dict[str, Any] = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "You are a concise assistant for a support team."},
            {
                "role": "user",
                "content": "A customer says their invoice shows two charges for one order. "
                "Draft a short, friendly reply that explains what we will check next.",
            },
        ],
        "max_tokens": 64,
        "temperature": 0.7,
    }
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return json.dumps(body).encode()


def count_events(body: bytes) -> int:
    """``data:`` lines in an SSE body: one per event in OpenAI's framing."""
    return body.startswith(b"data:") + body.count(b"\ndata:")


@dataclass
class PhaseResult:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    events: int = 0
    errors: int = 0
    first_error: str = ""

    @property
    def requests_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def percentile_ms(self, fraction: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def error(self, message: str) -> None:
        self.errors += 1
        if not self.first_error:
            self.first_error = message


async def _one(session: aiohttp.ClientSession, url: str, body: bytes, stream: bool) -> str | int:
    """One request: the events it carried, or why it failed."""
    async with session.post(url, data=body, headers=HEADERS) as response:
        # Read the whole body even for a stream: mockgw writes it in one go, and
        # parsing lines one by one would make the client the bottleneck.
        payload = await response.read()
        if response.status != 200:
            return f"HTTP {response.status}: {payload[:200]!r}"
        if not stream:
            return 0
        if not payload.rstrip().endswith(b"data: [DONE]"):
            return f"stream did not end with data: [DONE]: {payload[-200:]!r}"
        return count_events(payload)


async def run_phase(
    session: aiohttp.ClientSession, base_url: str, *, stream: bool, workers: int, seconds: float
) -> PhaseResult:
    """Keep ``workers`` requests in flight for ``seconds``; in-flight ones then finish."""
    url = base_url + PATH
    body = request_body(stream=stream)
    result = PhaseResult()
    started = time.perf_counter()
    deadline = started + seconds

    async def worker() -> None:
        while (
            time.perf_counter() < deadline
            and len(result.latencies) + result.errors < MAX_REQUESTS_PER_PHASE
        ):
            sent = time.perf_counter()
            try:
                outcome = await _one(session, url, body, stream)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                result.error(f"{type(exc).__name__}: {exc}")
                continue
            if isinstance(outcome, str):
                result.error(outcome)
                continue
            result.latencies.append(time.perf_counter() - sent)
            result.events += outcome

    await asyncio.gather(*(worker() for _ in range(workers)))
    result.seconds = time.perf_counter() - started
    return result


def new_session(workers: int) -> aiohttp.ClientSession:
    # One keep-alive connection per worker, like a client pool sized to its concurrency.
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=workers),
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS),
    )
