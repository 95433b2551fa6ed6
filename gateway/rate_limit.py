"""Per-key request rate limits: a token bucket per client key, shared through Redis.

The limit of a key is its own (`ApiKey.rate_limit_per_minute` / `rate_limit_burst`, set in
admin) or else `LUTHIEN_RATE_LIMIT_PER_MINUTE` / `LUTHIEN_RATE_LIMIT_BURST`; 0 per minute means
no limit. With `REDIS_URL` every worker and host takes tokens from the same bucket, atomically
(one Lua script, Redis's own clock, one round trip per limited call). When Redis cannot be
reached the limiter falls back to per-worker buckets (N workers then allow up to N times the
limit), logs it, shows `rate_limits: degraded` in `/health` and the
`luthien_rate_limit_fallback` metric, and tries Redis again every few seconds. Without Redis
the per-worker buckets are the only ones.

A refusal is a 429 whose `Retry-After` is the real wait in whole seconds (rounded up), the
same number the message gives.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import time
from dataclasses import dataclass
from typing import Any

import redis.asyncio
from django.conf import settings
from redis.exceptions import RedisError

from gateway import metrics
from gateway.keys import ClientIdentity
from wire.errors import RateLimited
from wire.process_wide import Service

logger = logging.getLogger("gateway.rate_limit")

KEY_PREFIX = "luthien:ratelimit:"
REDIS_RETRY_S = 5.0
REDIS_TIMEOUT_S = 0.5

# KEYS[1]: the bucket; ARGV: refill rate (tokens/s), burst. Returns {allowed, wait seconds}.
# Redis's clock (TIME) so hosts with skewed clocks share one bucket correctly.
_TOKEN_BUCKET = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local held = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(held[1])
local ts = tonumber(held[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(wait)}
"""


@dataclass(frozen=True, slots=True)
class Limit:
    """Requests per minute and bucket size of one key."""

    per_minute: int
    burst: int

    @property
    def rate(self) -> float:
        """Tokens per second."""
        return self.per_minute / 60.0


def limit_for(identity: ClientIdentity) -> Limit | None:
    """The key's own limit, else the gateway's default; None when it has no limit."""
    per_minute = identity.rate_limit_per_minute
    if per_minute is None:
        per_minute = settings.LUTHIEN_RATE_LIMIT_PER_MINUTE
    if per_minute <= 0:
        return None
    burst = identity.rate_limit_burst
    if burst is None or burst <= 0:
        burst = settings.LUTHIEN_RATE_LIMIT_BURST or per_minute
    return Limit(per_minute, max(1, burst))


def refusal(limit: Limit, wait_s: float) -> RateLimited:
    """The 429 for a wait of `wait_s` seconds: header and message say the same whole seconds."""
    seconds = max(1, math.ceil(wait_s))
    return RateLimited(
        f"rate limit of {limit.per_minute} requests per minute exceeded for this key; "
        f"retry in {seconds} s",
        retry_after_s=seconds,
    )


class LocalBuckets:
    """Token buckets in this worker's memory (no Redis, or Redis unreachable)."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._max_keys = max_keys

    def take(self, key: str, limit: Limit) -> float:
        """Take one token; returns 0 when taken, else the seconds until one is available."""
        now = time.monotonic()
        burst = float(limit.burst)
        tokens, last = self._buckets.get(key, (burst, now))
        tokens = min(burst, tokens + (now - last) * limit.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / limit.rate
        if len(self._buckets) >= self._max_keys and key not in self._buckets:
            self._buckets.clear()
        self._buckets[key] = (tokens - 1.0, now)
        return 0.0

    def clear(self) -> None:
        """Forget every bucket."""
        self._buckets.clear()


class RateLimiter:
    """Takes a token per call from the key's bucket in Redis, or in this worker."""

    def __init__(self) -> None:
        self._local = LocalBuckets()
        self._client: redis.asyncio.Redis | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._client_url = ""
        self._script: Any = None  # the token bucket registered on the client (EVALSHA)
        self._redis_retry_at = 0.0
        self.fallback = False  # Redis configured but unreachable: per-worker buckets

    async def check(self, identity: ClientIdentity) -> None:
        """Take one token for the key; raise RateLimited (with the real wait) when none is
        left."""
        limit = limit_for(identity)
        if limit is None:
            return
        wait = await self._take(identity.name, limit)
        if wait > 0:
            metrics.RATE_LIMITED.labels(backend=self.backend()).inc()
            raise refusal(limit, wait)

    def backend(self) -> str:
        """`redis`, `local` (no Redis configured) or `fallback` (Redis unreachable)."""
        if not settings.REDIS_URL:
            return "local"
        return "fallback" if self.fallback else "redis"

    async def _take(self, key: str, limit: Limit) -> float:
        if not settings.REDIS_URL or time.monotonic() < self._redis_retry_at:
            return self._local.take(key, limit)
        try:
            allowed, wait = await self._redis_take(key, limit)
        except (TimeoutError, RedisError, OSError) as error:
            self._redis_down(error)
            return self._local.take(key, limit)
        if self.fallback:
            logger.warning("Redis reachable again: rate limits are shared again")
            self._set_fallback(False)
        return 0.0 if allowed else wait

    async def _redis_take(self, key: str, limit: Limit) -> tuple[bool, float]:
        self._redis()
        async with asyncio.timeout(REDIS_TIMEOUT_S * 2):
            allowed, wait = await self._script(
                keys=[KEY_PREFIX + _namespace + key], args=[repr(limit.rate), limit.burst]
            )
        return bool(int(allowed)), float(wait)

    def _redis(self) -> redis.asyncio.Redis:
        loop = asyncio.get_running_loop()
        url = settings.REDIS_URL
        if self._client is None or self._client_loop is not loop or self._client_url != url:
            self._client = redis.asyncio.Redis.from_url(
                url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
            )
            self._client_loop, self._client_url = loop, url
            self._script = self._client.register_script(_TOKEN_BUCKET)
        return self._client

    def _redis_down(self, error: BaseException) -> None:
        self._redis_retry_at = time.monotonic() + REDIS_RETRY_S
        if not self.fallback:
            logger.error(
                "Redis unreachable for rate limits (%s): falling back to per-worker limits",
                type(error).__name__,
            )
            self._set_fallback(True)

    def _set_fallback(self, on: bool) -> None:
        self.fallback = on
        metrics.RATE_LIMIT_FALLBACK.set(1 if on else 0)

    async def aclose(self) -> None:
        """Close the Redis connection of the running loop (shutdown)."""
        client, loop = self._client, self._client_loop
        self._client = self._client_loop = None
        if client is not None and loop is asyncio.get_running_loop():
            await client.aclose()

    def reset(self) -> None:
        """Forget every bucket (Redis ones too: later limiters use a fresh key namespace), the
        Redis client and the fallback state (tests)."""
        global _namespace
        _namespace = secrets.token_hex(4) + ":"
        self._local.clear()
        self._client = self._client_loop = None
        self._redis_retry_at = 0.0
        self._set_fallback(False)


# The Redis key namespace of the buckets: empty in production (every worker shares them); each
# test reset moves to a fresh one so no bucket outlives a test.
_namespace = ""
_LIMITER = Service(
    "rate limiter", RateLimiter, close=RateLimiter.aclose, on_reset=RateLimiter.reset
)


def rate_limiter() -> RateLimiter:
    """The process's rate limiter."""
    return _LIMITER.get()
