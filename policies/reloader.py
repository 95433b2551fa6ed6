"""Per-worker hot reload: poll the shared version stamp, reload the active policy on change.

Started from the ASGI lifespan (`policy_startup`), one asyncio task per worker process reads the
stamp every `LUTHIEN_POLICY_POLL_INTERVAL_S` (Redis GET, or one aggregate query without Redis).
Only when it changed does the worker load the active row and `set()` it on the runtime, and
forget its cached override policies. Database work runs on one thread of the reloader's own, so
a worker holds one database connection for it, closed on stop. Requests never wait for any of
this. Errors (database or Redis down) are logged once per outage and retried on the next tick;
the task never dies of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections

from policies.active import ActivePolicy
from policies.runtime import policy_runtime, run_db_once
from policies.validation import PolicyValidationError
from policies.version_stamp import StampReader, stamp_bump, stamp_bump_owed
from wire.process_wide import Service

logger = logging.getLogger("policies.reloader")


def _load_fresh() -> ActivePolicy:
    """`active_policy_load` on the reloader's thread: first drop a broken or expired connection."""
    from policies.loading import active_policy_load

    close_old_connections()
    return active_policy_load()


class PolicyReloader:
    """The stamp poller of this process: `check()` once, or `start()`/`stop()` the loop."""

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._reader: StampReader | None = None
        self._seen: str | None = None
        self._failing = False

    @property
    def running(self) -> bool:
        """Whether the polling task is alive."""
        return self._task is not None and not self._task.done()

    async def check(self) -> bool:
        """Read the stamp; on change, reload. True when the policy was reloaded."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="luthien-policy-reloader")
        if self._reader is None:
            self._reader = StampReader(settings.REDIS_URL, self._executor)
        loop = asyncio.get_running_loop()
        try:
            if stamp_bump_owed():  # a change made here while Redis was down: tell the others
                await loop.run_in_executor(self._executor, stamp_bump)
            stamp = await self._reader.read()
            if stamp == self._seen:
                self._recovered()
                return False
            try:
                active = await loop.run_in_executor(self._executor, _load_fresh)
            except PolicyValidationError as error:  # a row the current code cannot build
                logger.error("active policy not reloaded, keeping the previous one: %s", error)
            else:
                runtime = policy_runtime()
                runtime.set(active)
                runtime.forget_saved()
                logger.info(
                    "policy %s v%s (%s) in force", active.name, active.version, active.source
                )
            self._seen = stamp
            self._recovered()
            return True
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self._failed(error)
            return False

    async def start(self) -> None:
        """Load the current policy now, then poll in the background (idempotent)."""
        if self.running:
            return
        await self.check()
        self._task = asyncio.create_task(self._run(), name="luthien-policy-reloader")

    async def stop(self) -> None:
        """Stop polling and close the stamp reader."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        reader, self._reader = self._reader, None
        if reader is not None:
            with contextlib.suppress(Exception):
                await reader.aclose()
        executor, self._executor = self._executor, None
        if executor is not None:
            with contextlib.suppress(Exception):
                await asyncio.get_running_loop().run_in_executor(executor, connections.close_all)
            executor.shutdown(wait=False)
        self._seen = None

    async def _run(self) -> None:
        interval = max(0.01, float(settings.LUTHIEN_POLICY_POLL_INTERVAL_S))
        while True:
            await asyncio.sleep(interval)
            await self.check()

    def _failed(self, error: Exception) -> None:
        if not self._failing:
            kind = "database" if isinstance(error, DatabaseError) else type(error).__name__
            logger.warning("policy stamp check failed (%s: %s); retrying", kind, error)
        self._failing = True

    def _recovered(self) -> None:
        if self._failing:
            logger.warning("policy stamp check works again")
        self._failing = False


_RELOADER = Service("policy reloader", PolicyReloader, close=PolicyReloader.stop)


def policy_reloader() -> PolicyReloader:
    """The process's reloader."""
    return _RELOADER.get()


async def policy_startup() -> None:
    """Lifespan start-up: import `POLICY_CONFIG` when no row is active, then start polling.

    An invalid policy file fails the start-up; an unreachable database does not (the file
    or pass-through policy applies until the database answers)."""
    from policies.services import policy_file_import

    if settings.POLICY_CONFIG:
        try:
            await run_db_once(policy_file_import)
        except DatabaseError as error:
            logger.warning("POLICY_CONFIG not imported, database unavailable: %s", error)
    await _RELOADER.get().start()


async def policy_shutdown() -> None:
    """Lifespan shutdown: stop polling."""
    reloader = _RELOADER.peek()
    if reloader is not None:
        await reloader.stop()
