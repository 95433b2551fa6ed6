"""The shared policy version stamp: how every worker learns that saved policies changed.

With `REDIS_URL` the stamp is a Redis key that the services set to a fresh unique value after
each committed change (unique, so a Redis restart can never bring back a value already seen);
without Redis it is a cheap aggregate over the `PolicyConfig` table (row count, sum of versions,
the active row, the latest update and activation), which any change alters. Workers compare
the stamp a few times per second (`policies.reloader`); its value means nothing beyond
"changed or not".

    stamp_bump()      after a committed change (no-op for the database stamp); when Redis
                      is down the bump is owed and the reloader retries it every tick
    stamp_bump_owed() whether a bump failed and is still owed
    stamp_read()      the current stamp (sync)
    StampReader       the stamp for the poller: async Redis client, or the aggregate in a thread
    stamp_close()     drop this process's Redis client (tests, settings changes)
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from concurrent.futures import Executor

import redis
import redis.asyncio
from django.conf import settings
from django.db import close_old_connections
from django.db.models import Count, Max, Q, Sum

from wire.process_wide import Service

logger = logging.getLogger("policies.version_stamp")

STAMP_KEY = "luthien:policies:stamp"
_TIMEOUT_S = 1.0


class _SyncClient:
    """The per-process synchronous Redis client, created on first use for the current URL."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._url = ""
        self._client: redis.Redis | None = None

    def get(self, url: str) -> redis.Redis:
        with self._lock:
            if self._client is None or self._url != url:
                self._close()
                self._client = redis.Redis.from_url(
                    url, socket_timeout=_TIMEOUT_S, socket_connect_timeout=_TIMEOUT_S
                )
                self._url = url
            return self._client

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None


_SYNC_CLIENT = Service(
    "policy stamp redis client", _SyncClient, close=_SyncClient.close, on_reset=_SyncClient.close
)


def database_stamp() -> str:
    """The aggregate stamp over saved policies (one indexed query)."""
    from policies.models import PolicyConfig

    row = PolicyConfig.objects.aggregate(
        count=Count("id"),
        versions=Sum("version"),
        active=Max("id", filter=Q(is_active=True)),
        updated=Max("updated_at"),
        activated=Max("activated_at"),
    )
    updated = row["updated"].isoformat() if row["updated"] else ""
    activated = row["activated"].isoformat() if row["activated"] else ""
    return f"db:{row['count']}:{row['versions'] or 0}:{row['active'] or 0}:{updated}:{activated}"


def _database_stamp_fresh() -> str:
    """`database_stamp` on a long-lived thread: first drop a broken or expired connection."""
    close_old_connections()
    return database_stamp()


def _redis_stamp(value: bytes | str | None) -> str:
    text = value.decode() if isinstance(value, bytes) else (value or "")
    return f"redis:{text}"


# Set while a bump failed (Redis down) and no later one succeeded: the reloader retries it.
_OWED = Service("policy stamp bump owed", threading.Event)


def stamp_bump() -> bool:
    """Tell every worker that saved policies changed; False when Redis could not be told.
    Errors are logged (once per outage), never raised: the change is already committed and the
    database stays the source of truth. A failed bump stays owed until a later one succeeds
    (`policies.reloader` retries it every tick), so other workers never keep a stale policy
    after Redis returns."""
    if not settings.REDIS_URL:
        return True
    try:
        value = f"{time.time_ns()}-{secrets.token_hex(4)}"
        _SYNC_CLIENT.get().get(settings.REDIS_URL).set(STAMP_KEY, value)
    except redis.RedisError:
        owed = _OWED.get()
        if not owed.is_set():
            logger.exception("could not bump the policy version stamp in Redis; will retry")
        owed.set()
        return False
    owed = _OWED.get()
    if owed.is_set():
        logger.warning("policy version stamp bumped after a Redis outage")
    owed.clear()
    return True


def stamp_bump_owed() -> bool:
    """Whether a bump failed and no later one succeeded yet."""
    return _OWED.get().is_set()


def stamp_read() -> str:
    """The current stamp (the Redis key, or the database aggregate)."""
    if settings.REDIS_URL:
        return _redis_stamp(_SYNC_CLIENT.get().get(settings.REDIS_URL).get(STAMP_KEY))
    return database_stamp()


def stamp_close() -> None:
    """Close this process's synchronous Redis client."""
    _SYNC_CLIENT.reset()


class StampReader:
    """Reads the stamp from async code: an async Redis client bound to the running loop, or the
    database aggregate run on `executor` (the default executor when None)."""

    def __init__(self, redis_url: str, executor: Executor | None = None) -> None:
        self._executor = executor
        self._client = (
            redis.asyncio.Redis.from_url(
                redis_url, socket_timeout=_TIMEOUT_S, socket_connect_timeout=_TIMEOUT_S
            )
            if redis_url
            else None
        )

    async def read(self) -> str:
        """The current stamp."""
        if self._client is None:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, _database_stamp_fresh)
        return _redis_stamp(await self._client.get(STAMP_KEY))

    async def aclose(self) -> None:
        """Close the Redis client, if any."""
        if self._client is not None:
            await self._client.aclose()
