"""Health of this worker: each component's state and reason, combined into one status.

    database     ok: SELECT 1 answers; degraded: unreachable (calls still proxied, records spill)
    redis        ok: PING answers; degraded: unreachable (per-worker rate limits, live events
                 only within a worker, reload by polling)
    recorder     ok: keeping up; degraded: backlog over LUTHIEN_HEALTH_MAX_BACKLOG, spill files
                 waiting, or records held in memory because the spill file refused them (disk
                 full: lost if the worker stops); down: database unreachable and the spill
                 directory not writable (finished calls are being lost)
    rate_limits  ok: shared in Redis (or no Redis); degraded: per-worker fallback
    upstreams    ok: circuits closed; degraded: a circuit open or probing (`gateway.circuit`)
    broadcast    live-event counters (sent, dropped, ...); always ok: broadcast is best-effort

`status` is the worst component (`ok`, `degraded`, `down`); `/health` answers 503 only when it
is `down`. Readiness (`/health/ready`) is stricter, as a load balancer wants it: 503 when the
database or a configured Redis is unreachable, the recorder's backlog is over its bound or a
spill file is older than the limit. Liveness (`/health/live`) does no I/O at all.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections

from gateway import circuit
from gateway.rate_limit import rate_limiter

CHECK_TIMEOUT_S = 3.0
DATABASE_ALIAS = "default"
LEVELS = ("ok", "degraded", "down")


@dataclass(slots=True)
class Component:
    """One component's state and why."""

    status: str = "ok"
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"status": self.status, "reason": self.reason, **self.details}


@dataclass(slots=True)
class Health:
    """Every component, the overall status and readiness."""

    components: dict[str, Component]
    ready: bool
    not_ready: list[str]

    @property
    def status(self) -> str:
        """The worst component status."""
        return max((c.status for c in self.components.values()), key=LEVELS.index, default="ok")

    def as_dict(self) -> dict[str, Any]:
        """JSON form of `/health`."""
        return {
            "status": self.status,
            "ready": self.ready,
            "not_ready": self.not_ready,
            "components": {name: c.as_dict() for name, c in self.components.items()},
        }


def _database_ping() -> None:
    connection = connections[DATABASE_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()  # a thread of its own: never leave a connection behind


async def database_component() -> Component:
    """Whether the database answers `SELECT 1` within the check timeout."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await sync_to_async(_database_ping, thread_sensitive=False)()
    except Exception as error:
        return Component(
            "degraded",
            f"database unreachable ({type(error).__name__}): calls are still proxied and "
            "recordings spill to disk until it returns",
            {"reachable": False},
        )
    return Component(details={"reachable": True})


async def redis_component() -> Component | None:
    """Whether the configured Redis answers PING (None without `REDIS_URL`)."""
    if not settings.REDIS_URL:
        return None
    client = redis.asyncio.Redis.from_url(
        settings.REDIS_URL, socket_timeout=CHECK_TIMEOUT_S, socket_connect_timeout=CHECK_TIMEOUT_S
    )
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await client.ping()  # type: ignore[misc]
    except Exception as error:
        return Component(
            "degraded",
            f"Redis unreachable ({type(error).__name__}): rate limits per worker, live events "
            "only within this worker",
            {"reachable": False},
        )
    finally:
        await client.aclose()
    return Component(details={"reachable": True})


def recorder_component(database_up: bool) -> tuple[Component, list[str]]:
    """The recorder's backlog and spill files; also what makes the worker not ready."""
    from activity.recorder import recorder

    if not settings.LUTHIEN_RECORDING:
        return Component(reason="recording is off"), []
    instance = recorder()
    stats = instance.stats()
    spill = instance.spill_store
    pending = spill.pending()
    oldest_age = spill.oldest_pending_age()
    details: dict[str, Any] = {
        "queued": stats.get("queued", 0),
        "spill_files": len(pending),
        "oldest_spill_s": round(oldest_age, 1),
        **{k: v for k, v in stats.items() if k != "queued"},
    }
    problems: list[str] = []
    not_ready: list[str] = []
    if details["queued"] > settings.LUTHIEN_HEALTH_MAX_BACKLOG:
        problems.append(f"{details['queued']} records waiting to be written")
        not_ready.append("recorder backlog")
    if details.get("held"):
        problems.append(
            f"{details['held']} records held in memory: the spill directory {spill.directory} "
            f"refused them ({instance.spill_error or 'error'}); they are lost if this worker stops"
        )
        not_ready.append("recorder cannot spill")
    if pending:
        problems.append(f"{len(pending)} spill file(s) waiting for replay")
        if oldest_age > settings.LUTHIEN_HEALTH_MAX_SPILL_AGE_S:
            problems.append(f"the oldest waits for {oldest_age:.0f} s")
            not_ready.append("old spill file")
    if not database_up and not _writable(spill.directory):
        return (
            Component(
                "down",
                f"database unreachable and the spill directory {spill.directory} is not "
                "writable: finished calls are being lost",
                details,
            ),
            [*not_ready, "recorder losing records"],
        )
    if problems:
        return Component("degraded", "; ".join(problems), details), not_ready
    return Component(details=details), not_ready


def _writable(directory: os.PathLike[str]) -> bool:
    """Whether spill files can be made in `directory` (created on the first spill, so its
    nearest existing ancestor counts: it must be a writable directory)."""
    path = os.path.abspath(os.fspath(directory))
    while not os.path.exists(path):
        path = os.path.dirname(path)
    return os.path.isdir(path) and os.access(path, os.W_OK)


def rate_limit_component() -> Component:
    """Whether rate limits are shared through Redis as configured."""
    limiter = rate_limiter()
    backend = limiter.backend()
    if backend == "fallback":
        return Component(
            "degraded",
            "Redis unreachable: rate limits counted per worker",
            {"backend": backend},
        )
    return Component(details={"backend": backend})


def broadcast_component() -> Component:
    """The live broadcast's counters (best-effort: never degrades the worker)."""
    from activity.broadcast import broadcaster

    return Component(details=dict(broadcaster().stats()))


def upstream_component() -> Component:
    """The circuit state of every upstream this worker has called."""
    states = circuit.states()
    opened = sorted(name for name, state in states.items() if state != "closed")
    if opened:
        return Component(
            "degraded",
            f"circuit open or probing for {', '.join(opened)}: calls there fail fast",
            {"circuits": states},
        )
    return Component(details={"circuits": states})


async def check_health() -> Health:
    """Every component, with I/O bounded by the check timeout."""
    database, cache = await asyncio.gather(database_component(), redis_component())
    database_up = database.status == "ok"
    recorder, recorder_not_ready = recorder_component(database_up)
    components = {"database": database}
    if cache is not None:
        components["redis"] = cache
    components |= {
        "recorder": recorder,
        "rate_limits": rate_limit_component(),
        "broadcast": broadcast_component(),
        "upstreams": upstream_component(),
    }
    not_ready = [] if database_up else ["database unreachable"]
    if cache is not None and cache.status != "ok":
        not_ready.append("Redis unreachable")
    not_ready += recorder_not_ready
    return Health(components, ready=not not_ready, not_ready=not_ready)
