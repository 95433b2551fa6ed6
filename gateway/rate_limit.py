"""Per-key request rate limits: a token bucket per client key, in process memory.

`LUTHIEN_RATE_LIMIT_PER_MINUTE` requests per minute per key (0 = off), with bursts up to
`LUTHIEN_RATE_LIMIT_BURST`. Each worker process keeps its own buckets (no round trip on the hot
path), so with N workers a key may reach up to N times the limit; size it per worker.
"""

from __future__ import annotations

import time

from django.conf import settings

from wire.errors import RateLimited
from wire.process_wide import Service


class RateLimiter:
    """Token buckets by key name."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._max_keys = max_keys

    def check(self, key: str) -> None:
        """Take one token for `key`; raise RateLimited (with the wait) when there is none."""
        per_minute = settings.LUTHIEN_RATE_LIMIT_PER_MINUTE
        if per_minute <= 0:
            return
        rate = per_minute / 60.0
        burst = float(settings.LUTHIEN_RATE_LIMIT_BURST or per_minute)
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (burst, now))
        tokens = min(burst, tokens + (now - last) * rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            wait = (1.0 - tokens) / rate
            raise RateLimited(
                f"rate limit of {per_minute} requests per minute exceeded for this key; "
                f"retry in {wait:.1f} s"
            )
        if len(self._buckets) >= self._max_keys and key not in self._buckets:
            self._buckets.clear()
        self._buckets[key] = (tokens - 1.0, now)

    def reset(self) -> None:
        """Forget every bucket (tests)."""
        self._buckets.clear()


_LIMITER = Service("rate limiter", RateLimiter)


def rate_limiter() -> RateLimiter:
    """The process's rate limiter."""
    return _LIMITER.get()
