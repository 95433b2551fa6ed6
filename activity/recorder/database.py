"""The writer thread's database side: batch writes on a connection kept across batches.

Django checks connections around each HTTP request (`close_old_connections`: drop a broken
one, or one older than `CONN_MAX_AGE`). The writer thread has no requests, and running that
check before every batch closed and reopened SQLite's connection each time (`CONN_MAX_AGE` is
0 there), a noticeable share of the gateway's CPU under load. So the writer keeps its
connection and runs the same check only when it may have gone stale:

- it sat unused for `IDLE_CHECK_S` (a server may have dropped it meanwhile), or
- it was last checked `RECHECK_S` ago (so `CONN_MAX_AGE` and health checks still apply under
  constant load, once a minute instead of once a batch).

A connection that breaks between checks (a PostgreSQL restart, a killed backend) makes the
next write fail like an outage: the persister spills the batch and calls `reset_connections`,
and its retry connects afresh and replays the spill (nothing is lost).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence

from activity.recorder.persist import Entry, WriteResult

logger = logging.getLogger("activity.recorder")

IDLE_CHECK_S = 10.0
RECHECK_S = 60.0


class _WriterClock(threading.local):
    """When this thread last wrote and last checked its connection (per thread, like Django's
    connections themselves)."""

    last_write = -math.inf
    last_check = -math.inf


_clock = _WriterClock()


def check_connection_if_stale(now: float | None = None) -> bool:
    """Run Django's connection check for this thread if its connection may be stale (see the
    module docstring); returns whether it ran."""
    from django.db import close_old_connections

    now = time.monotonic() if now is None else now
    if now - _clock.last_write < IDLE_CHECK_S and now - _clock.last_check < RECHECK_S:
        return False
    _clock.last_check = now
    close_old_connections()
    return True


def database_write(entries: Sequence[Entry]) -> WriteResult:
    """The default write function: a batch into the database, on this thread's kept
    connection (checked first only when it may be stale)."""
    from activity.services import transaction_batch_create

    check_connection_if_stale()
    try:
        return transaction_batch_create(entries=entries)
    finally:
        _clock.last_write = time.monotonic()


def reset_connections() -> None:
    """Drop this thread's database connections after an outage (reconnect on next use)."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except Exception:  # a broken connection may fail to close; it is gone either way
            logger.debug("closing a broken connection failed", exc_info=True)
