"""The active policy of this process, read without I/O on the request path.

Precedence, highest first: a per-request override (`X-Luthien-Policy`, for keys allowed to use
it), the active database row, the `POLICY_CONFIG` file, the pass-through policy.

`current()` is a plain attribute read once loaded. The first call in a process loads the active
row from the database (sync; `resolve_policy` runs it in a thread); after that the per-worker
reloader (`policies.reloader`) and the services of this worker call `set()` when the shared
version stamp changes. Saved policies used as overrides are cached here too, and forgotten on
every change (`forget_saved()`); `policies.selection` picks the policy of each request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from asgiref.sync import sync_to_async
from django.db import connections

from policies.active import ActivePolicy, default_active_policy
from policies.loading import database_active_policy
from wire.process_wide import Service

logger = logging.getLogger("policies.runtime")
MAX_SAVED = 256
T = TypeVar("T")


def initial_active_policy() -> ActivePolicy:
    """First use in a process: the active database row, else the file, else pass-through.

    Without a usable database (plain unit tests, an outage) the fallback is used; the reloader
    replaces it as soon as the database answers."""
    try:
        active = database_active_policy()
    except Exception as error:
        logger.warning("active policy not loaded from the database (%s); using the fallback", error)
        active = None
    return active or default_active_policy()


class PolicyRuntime:
    """Holds the active policy and the saved policies used as overrides."""

    def __init__(self) -> None:
        self._active: ActivePolicy | None = None
        self._saved: dict[str, ActivePolicy] = {}
        self._generation = 0

    def current(self) -> ActivePolicy:
        """The policy new requests use (loaded on first use, see `initial_active_policy`)."""
        active = self._active
        if active is None:
            active = self._active = initial_active_policy()
        return active

    def loaded(self) -> ActivePolicy | None:
        """The active policy if one was loaded already (never does I/O)."""
        return self._active

    def set(self, active: ActivePolicy) -> None:
        """Switch this process to `active` (in-flight requests keep their old instance)."""
        self._active = active

    @property
    def generation(self) -> int:
        """Goes up whenever saved policies are forgotten (guards against stale cache fills)."""
        return self._generation

    def saved(self, name: str) -> ActivePolicy | None:
        """A cached saved policy (for `X-Luthien-Policy`), or None."""
        return self._saved.get(name)

    def remember(self, active: ActivePolicy, *, generation: int) -> None:
        """Cache a saved policy loaded while `generation` was current (dropped if stale)."""
        if generation != self._generation:
            return
        if len(self._saved) >= MAX_SAVED:
            self._saved.clear()
        self._saved[active.name] = active

    def forget_saved(self) -> None:
        """Drop cached saved policies (a saved policy changed somewhere)."""
        self._generation += 1
        self._saved = {}

    def reset(self) -> None:
        """Forget everything (tests)."""
        self._active = None
        self.forget_saved()


_RUNTIME = Service("policy runtime", PolicyRuntime)


def policy_runtime() -> PolicyRuntime:
    """The process's policy runtime."""
    return _RUNTIME.get()


async def run_db_once(fn: Callable[[], T]) -> T:
    """Run rare synchronous database work from async code in a pool thread, then close that
    thread's connections (a pool thread would otherwise keep one open for nothing)."""

    def call() -> T:
        try:
            return fn()
        finally:
            connections.close_all()

    return await sync_to_async(call, thread_sensitive=False)()
