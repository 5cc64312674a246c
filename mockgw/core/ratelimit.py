"""Real rate limiting: token buckets per API key or session, with honest numbers.

Each scenario with ``limits`` gets buckets that refill continuously (``rpm / 60``
requests per second). A request that finds its bucket empty is refused with a
``retry_after`` equal to the real wait; every admission reports each bucket's limit,
remaining level and time to full (:class:`BucketState`), which the codec turns into
its provider's header names and formats. A request that costs more than a whole
bucket can never be admitted: it is refused as ``too_large``, with the bucket's refill
time (at most a minute) as a bounded retry-after.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

MAX_BUCKETS = 10_000


@dataclass(slots=True)
class TokenBucket:
    capacity: float
    per_second: float
    level: float
    updated: float

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.updated) * self.per_second)
        self.updated = now

    def wait_for(self, cost: float) -> float:
        """Seconds until ``cost`` is available (0 when it is now)."""
        if cost > self.capacity:
            return math.inf
        return max(0.0, (cost - self.level) / self.per_second)

    def until_full(self) -> float:
        return (self.capacity - self.level) / self.per_second


BucketName = Literal["requests", "tokens"]


@dataclass(frozen=True, slots=True)
class BucketState:
    """One bucket as a client may see it after a request: the codec words it."""

    name: BucketName
    limit: int
    remaining: int
    reset_seconds: float  # until the bucket is full again


@dataclass(frozen=True, slots=True)
class Admission:
    granted: bool
    retry_after: float  # seconds; always finite
    buckets: tuple[BucketState, ...]
    # The bucket that refused the request, its size and the request's cost in it, for
    # the provider's error message.
    limited_by: BucketName | None = None
    limit: int = 0
    requested: int = 0
    # The request costs more than the whole bucket: waiting can never admit it.
    too_large: bool = False


class Quota(Protocol):
    """A scenario's ``limits``: per minute, per API key or per session."""

    @property
    def rpm(self) -> int | None: ...

    @property
    def tpm(self) -> int | None: ...

    @property
    def per(self) -> str: ...


class RateLimiter:
    def __init__(self, limits: Quota, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._buckets: OrderedDict[str, dict[BucketName, TokenBucket]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def bucket_key(limits: Quota, api_key: str | None, session: str) -> str:
        if limits.per == "session":
            return f"session:{session}"
        # Never keep the key itself: a digest separates keys just as well.
        digest = hashlib.sha256((api_key or "").encode()).hexdigest()[:16]
        return f"key:{digest}"

    def _buckets_for(self, key: str, now: float) -> dict[BucketName, TokenBucket]:
        buckets = self._buckets.get(key)
        if buckets is None:
            buckets = {}
            sizes: tuple[tuple[BucketName, int | None], ...] = (
                ("requests", self.limits.rpm),
                ("tokens", self.limits.tpm),
            )
            for name, per_minute in sizes:
                if per_minute is not None:
                    buckets[name] = TokenBucket(per_minute, per_minute / 60, per_minute, now)
            self._buckets[key] = buckets
            if len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return buckets

    def admit(self, key: str, tokens: int) -> Admission:
        with self._lock:
            now = self._clock()
            buckets = self._buckets_for(key, now)
            costs: dict[BucketName, float] = {"requests": 1.0, "tokens": float(tokens)}
            for bucket in buckets.values():
                bucket.refill(now)
            waits = {name: b.wait_for(costs[name]) for name, b in buckets.items()}
            limited_by = max(waits, key=waits.__getitem__, default=None)
            if limited_by is None or waits[limited_by] == 0:
                for name, bucket in buckets.items():
                    bucket.level -= costs[name]
                return Admission(True, 0.0, _states(buckets))
            bucket = buckets[limited_by]
            wait = waits[limited_by]
            too_large = math.isinf(wait)
            if too_large:
                # Never admissible; the time an empty bucket takes to fill (a minute) is
                # the longest any admissible request could have to wait.
                wait = bucket.capacity / bucket.per_second
            return Admission(
                False,
                wait,
                _states(buckets),
                limited_by=limited_by,
                limit=int(bucket.capacity),
                requested=math.ceil(costs[limited_by]),
                too_large=too_large,
            )

    def forget(self, key: str) -> None:
        """Drop a bucket (a session reset): the next request starts from a full one."""
        with self._lock:
            self._buckets.pop(key, None)


def _states(buckets: dict[BucketName, TokenBucket]) -> tuple[BucketState, ...]:
    return tuple(
        BucketState(
            name,
            int(bucket.capacity),
            max(0, math.floor(bucket.level)),
            bucket.until_full(),
        )
        for name, bucket in buckets.items()
    )
