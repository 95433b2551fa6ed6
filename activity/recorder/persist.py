"""Persisting entries: into the database when it answers, into spill files when it does not.

Two states. *Up*: batches go to the database. *Down* (after an outage error): batches go
straight to the spill file until the retry time; then the next write (a new batch, or a replay
of the spill files) probes the database, and the wait doubles from `backoff_initial` up to
`backoff_max` while it keeps failing. Spill files are replayed, then deleted, once the database
is back, at start (files left by an earlier process) and every `scan_interval` seconds (files
of processes that died).

Errors are sorted in two kinds. An *outage* is any database error except IntegrityError and
DataError (connection refused or lost, "database is locked", a table not migrated yet): the
batch is spilled and retried later. Anything else means the data is bad: the batch is split and
written one entry at a time, so one bad record cannot hold the others back, and entries the
database still refuses go to a rejected file. If even the spill file cannot be written (disk
full, directory not writable), entries are held in memory (bounded by `held_limit`; beyond it
the oldest are dropped) and retried, and `spill_error` says why until a spill succeeds again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from django.db import DataError, IntegrityError
from django.db import Error as DatabaseError

from activity.spill import SpillFile, SpillStore
from gateway.metrics import recorder_event

logger = logging.getLogger("activity.recorder")

Entry = dict[str, Any]


class WriteResult(Protocol):
    """What a write function reports (`activity.services.BatchResult`)."""

    @property
    def written(self) -> int:
        """Rows newly stored."""
        ...

    @property
    def duplicates(self) -> int:
        """Entries skipped because already stored."""
        ...


WriteFn = Callable[[Sequence[Entry]], WriteResult]

COUNTERS = (
    "submitted",  # records handed to submit() while recording is on
    "written",  # rows newly stored
    "duplicates",  # entries skipped because already stored (replays)
    "spilled",  # entries written to a spill file (database down, queue full, shut down)
    "overflow",  # of which because the queue was full
    "spill_failures",  # entries a spill file refused (disk full, not writable): held in memory
    "replayed",  # entries read back from spill files and settled
    "rejected",  # entries the database refused as bad data (kept in a rejected file)
    "dropped",  # entries lost: should stay 0
    "failures",  # failed database writes
)


class Counters:
    """Thread-safe event counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values = dict.fromkeys(COUNTERS, 0)

    def add(self, name: str, amount: int = 1) -> None:
        """Add `amount` to counter `name`."""
        with self._lock:
            self._values[name] += amount
        recorder_event(name, amount)

    def snapshot(self) -> dict[str, int]:
        """A copy of all counters."""
        with self._lock:
            return dict(self._values)


def is_outage(exc: BaseException) -> bool:
    """Whether a write error means "database unavailable" (retry) rather than "bad data"."""
    return isinstance(exc, DatabaseError) and not isinstance(exc, IntegrityError | DataError)


class Persister:
    """Stores entries with retry, spill and replay. Used by the writer thread only."""

    def __init__(
        self,
        *,
        write: WriteFn,
        spill: SpillStore,
        counters: Counters,
        on_settled: Callable[[int], None],
        on_outage: Callable[[], None] = lambda: None,
        batch_size: int = 200,
        backoff_initial: float = 0.5,
        backoff_max: float = 5.0,
        scan_interval: float = 30.0,
        held_limit: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write_fn = write
        self._spill_store = spill
        self._counters = counters
        self._on_settled = on_settled
        self._on_outage = on_outage
        self._batch_size = batch_size
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._backoff = backoff_initial
        self._scan_interval = scan_interval
        self._held_limit = held_limit
        self._clock = clock
        self._down = False
        self._retry_at = 0.0
        self._next_scan = clock() + scan_interval
        self._replay_pending = True  # replay leftovers at start
        self._held: list[Entry] = []
        self.spill_error = ""  # why the last spill failed; empty once one succeeds

    @property
    def down(self) -> bool:
        """Whether the last database write failed with an outage."""
        return self._down

    @property
    def held(self) -> int:
        """Entries held in memory because neither the database nor a spill file took them."""
        return len(self._held)

    def store(self, entries: Sequence[Entry], *, retry: bool = False) -> None:
        """Write entries to the database, or spill them. Settles every entry it can."""
        if not entries:
            return
        if self._may_try_database() and self._write(entries):
            self._on_settled(len(entries))
            return
        self.spill(entries, retry=retry)

    def spill(self, entries: Sequence[Entry], *, retry: bool = False) -> None:
        """Append entries to the spill file (or hold them in memory if that fails; `retry`:
        they were held already, so they are not counted as new spill failures)."""
        try:
            self._spill_store.append(entries, sync=True)
        except OSError as error:
            if not retry:
                self._counters.add("spill_failures", len(entries))
            if not self.spill_error:
                logger.error(
                    "could not spill %d transactions to %s (%s); holding them in memory",
                    len(entries),
                    self._spill_store.directory,
                    error,
                )
            self.spill_error = f"{type(error).__name__}: {error.strerror or error}"
            self._hold(entries)
            return
        if self.spill_error:
            logger.warning("the spill directory takes records again")
            self.spill_error = ""
        self._counters.add("spilled", len(entries))
        self._on_settled(len(entries))

    def maintain(self) -> None:
        """Periodic work: retry held entries, replay spill files when due."""
        now = self._clock()
        if now >= self._next_scan:
            self._next_scan = now + self._scan_interval
            self._replay_pending = True
        if self._spill_store.take_dirty():
            self._replay_pending = True
        if self._held:
            self._retry_held()
        if self._replay_pending and self._may_try_database() and self.replay():
            self._replay_pending = False

    def replay(self) -> bool:
        """Replay every spill file nobody else holds; False if the database failed meanwhile."""
        self._spill_store.seal()
        for path in self._spill_store.pending():
            handle = self._spill_store.try_claim(path)
            if handle is None:
                continue  # another live process's active file, or being replayed elsewhere
            with handle:
                if not self._replay_file(handle):
                    return False
        return True

    def shutdown(self) -> None:
        """Last chance for entries held in memory: spill them, or count them as dropped."""
        held, self._held = self._held, []
        if not held:
            return
        try:
            self._spill_store.append(held, sync=True)
            self._counters.add("spilled", len(held))
        except OSError:
            logger.exception("lost %d transactions held in memory", len(held))
            self._counters.add("dropped", len(held))
        self._on_settled(len(held))

    def _replay_file(self, handle: SpillFile) -> bool:
        for batch in handle.batches(self._batch_size):
            if not self._write(batch):
                return False
            self._counters.add("replayed", len(batch))
        handle.remove()
        logger.info("replayed spill file %s", handle.path.name)
        return True

    def _write(self, entries: Sequence[Entry]) -> bool:
        """True when every entry is stored or rejected; False on a database outage."""
        try:
            result = self._write_fn(entries)
        except Exception as exc:
            self._counters.add("failures")
            if is_outage(exc):
                self._mark_down(exc)
                return False
            return self._isolate(entries, exc)
        self._counters.add("written", result.written)
        self._counters.add("duplicates", result.duplicates)
        self._mark_up()
        return True

    def _isolate(self, entries: Sequence[Entry], exc: Exception) -> bool:
        if len(entries) > 1:
            return all(self._write([entry]) for entry in entries)
        logger.error("the database refused transaction %s: %r", entries[0].get("id"), exc)
        try:
            self._spill_store.reject(entries, reason=repr(exc))
            self._counters.add("rejected", len(entries))
        except OSError:
            logger.exception("could not keep rejected transaction %s", entries[0].get("id"))
            self._counters.add("dropped", len(entries))
        return True

    def _may_try_database(self) -> bool:
        return not self._down or self._clock() >= self._retry_at

    def _mark_down(self, exc: BaseException) -> None:
        if self._down:
            self._backoff = min(self._backoff * 2, self._backoff_max)
        else:
            self._backoff = self._backoff_initial
            logger.warning("database unavailable, spilling transactions: %r", exc)
        self._down = True
        self._retry_at = self._clock() + self._backoff
        self._on_outage()

    def _mark_up(self) -> None:
        if self._down:
            logger.warning("database is back; replaying spilled transactions")
            self._replay_pending = True
        self._down = False
        self._backoff = self._backoff_initial

    def _hold(self, entries: Sequence[Entry]) -> None:
        self._held.extend(entries)
        excess = len(self._held) - self._held_limit
        if excess > 0:
            logger.error("dropping %d transactions: database and spill file unavailable", excess)
            del self._held[:excess]
            self._counters.add("dropped", excess)
            self._on_settled(excess)

    def _retry_held(self) -> None:
        held, self._held = self._held, []
        for start in range(0, len(held), self._batch_size):
            self.store(held[start : start + self._batch_size], retry=True)
        if not self._held:
            self.spill_error = ""
