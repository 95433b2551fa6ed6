"""`Recorder`: takes finished transactions off the client's path and persists them in batches.

`submit()` only copies the record into a bounded queue (`put_nowait`); when the queue is full
the record goes straight to the spill file instead, so the client never waits on recording.
A daemon writer thread (started on the first submit; blocking Django ORM is fine there, it is
off the event loop) collects batches of up to `batch_size` records or `flush_interval` seconds,
turns them into entries (response bodies assembled from events) and hands them to the
`Persister`, which writes, spills and replays. The default write function keeps one database
connection across batches (`activity.recorder.database`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from activity.recorder.database import database_write, reset_connections
from activity.recorder.entries import CodecLookup, record_entry
from activity.recorder.persist import Counters, Entry, Persister, WriteFn
from activity.spill import SpillStore
from gateway.metrics import recorder_queue_depth
from gateway.transaction_record import TransactionRecord
from wire import tracing

logger = logging.getLogger("activity.recorder")


class Recorder:
    """Records finished transactions: `submit` never blocks nor raises; `flush` and `close`
    wait for the writer. One per process (see `activity.recorder.recorder()`)."""

    def __init__(
        self,
        *,
        spill_dir: str | Path,
        enabled: bool = True,
        queue_size: int = 10_000,
        queue_bytes: int = 256 * 1024 * 1024,
        batch_size: int = 200,
        flush_interval: float = 0.2,
        write: WriteFn | None = None,
        codec_lookup: CodecLookup | None = None,
        backoff_initial: float = 0.5,
        backoff_max: float = 5.0,
        scan_interval: float = 30.0,
    ) -> None:
        self.enabled = enabled
        self._batch_size = max(1, batch_size)
        self._flush_interval = max(0.0, flush_interval)
        self._poll = min(0.25, flush_interval) if flush_interval > 0 else 0.05
        self._codec_lookup = codec_lookup
        self._queue: queue.Queue[TransactionRecord] = queue.Queue(maxsize=max(1, queue_size))
        # Bodies dominate a record's memory: the queue and each batch are bounded in bytes too
        # (agent requests reach megabytes, and a slow database must not cost gigabytes).
        self._max_bytes = max(1, queue_bytes)
        self._batch_bytes = max(1, queue_bytes // 8)
        self._queued_bytes = 0
        self._counters = Counters()
        self._spill = SpillStore(spill_dir)
        self._persister = Persister(
            write=write or database_write,
            spill=self._spill,
            counters=self._counters,
            on_settled=self._settle,
            on_outage=reset_connections,
            batch_size=self._batch_size,
            backoff_initial=backoff_initial,
            backoff_max=backoff_max,
            scan_interval=scan_interval,
            held_limit=max(1, queue_size),
        )
        self._cond = threading.Condition()
        self._accepted = 0
        self._settled = 0
        self._hurry = threading.Event()
        self._hurry_waiters = 0
        self._stopping = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None

    @classmethod
    def from_settings(cls, **overrides: Any) -> Recorder:
        """A recorder configured from `LUTHIEN_RECORDING` and `LUTHIEN_RECORDER_*` settings."""
        from django.conf import settings

        options: dict[str, Any] = {
            "enabled": settings.LUTHIEN_RECORDING,
            "spill_dir": settings.LUTHIEN_SPILL_DIR,
            "queue_size": settings.LUTHIEN_RECORDER_QUEUE_SIZE,
            "queue_bytes": settings.LUTHIEN_RECORDER_QUEUE_BYTES,
            "batch_size": settings.LUTHIEN_RECORDER_BATCH_SIZE,
            "flush_interval": settings.LUTHIEN_RECORDER_FLUSH_INTERVAL_S,
        }
        return cls(**(options | overrides))

    @property
    def spill_store(self) -> SpillStore:
        """The spill directory of this recorder."""
        return self._spill

    def submit(self, record: TransactionRecord) -> None:
        """Record a finished call. Returns at once; never raises. Do not mutate it afterwards."""
        if not self.enabled:
            return
        try:
            self._counters.add("submitted")
            if self._closed:
                self._spill_now(record)
                return
            self.start()
            size = record_bytes(record)
            with self._cond:
                if self._queued_bytes and self._queued_bytes + size > self._max_bytes:
                    raise queue.Full
                self._queue.put_nowait(record)
                self._queued_bytes += size
                self._accepted += 1
        except queue.Full:
            self._counters.add("overflow")
            self._spill_now(record)
        except Exception:
            logger.exception("recorder submit failed")
            self._counters.add("dropped")

    def start(self) -> None:
        """Start the writer thread (done by the first `submit`); it replays old spill files."""
        if self._thread is not None:
            return
        with self._cond:
            if self._thread is None and not self._closed:
                thread = threading.Thread(target=self._run, name="luthien-recorder", daemon=True)
                thread.start()
                self._thread = thread

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything submitted so far is written or spilled; False on timeout."""
        with self._cond:
            target = self._accepted
            if self._settled >= target:
                return True
            self._hurry_waiters += 1
            self._hurry.set()
            try:
                return self._cond.wait_for(lambda: self._settled >= target, timeout)
            finally:
                self._hurry_waiters -= 1
                if not self._hurry_waiters:
                    self._hurry.clear()

    def close(self, timeout: float = 5.0) -> bool:
        """Flush, stop the writer thread and release the spill file. Later submits spill."""
        deadline = time.monotonic() + timeout
        flushed = self.flush(timeout)
        self._closed = True
        self._stopping.set()
        self._hurry.set()  # cut the writer's batch wait short
        thread = self._thread
        if thread is not None:
            thread.join(max(0.1, deadline - time.monotonic()))
        stopped = thread is None or not thread.is_alive()
        if not stopped:
            logger.error("recorder writer did not stop within %.1fs (database hanging?)", timeout)
        self._drain_to_spill()  # late submits, or what a hung writer has not taken yet
        self._spill.close()
        return flushed and stopped

    def stats(self) -> dict[str, int]:
        """Counters (submitted, written, spilled, replayed, dropped, failures...) and gauges."""
        return self._counters.snapshot() | {
            "queued": self._queue.qsize(),
            "held": self._persister.held,
        }

    @property
    def spill_error(self) -> str:
        """Why the last spill failed (disk full, not writable...); empty when spilling works."""
        return self._persister.spill_error

    # --- writer thread ---------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._guarded(self._persister.maintain)  # replays files left by an earlier process
            while not (self._stopping.is_set() and self._queue.empty()):
                self._guarded(self._step)
            self._guarded(self._persister.shutdown)
        finally:
            from django.db import connections

            connections.close_all()  # this thread's connections only

    def _guarded(self, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:  # the writer thread must survive anything
            logger.exception("recorder writer step failed")
            time.sleep(self._poll)

    def _step(self) -> None:
        batch = self._collect()
        recorder_queue_depth(self._queue.qsize())
        if batch:
            self._store(self._entries(batch))
        self._persister.maintain()

    def _store(self, entries: list[Entry]) -> None:
        try:
            with tracing.span("luthien.record_batch", **{"luthien.records": len(entries)}):
                self._persister.store(entries)
        except Exception:  # a bug, not an outage (those are handled inside): keep the data
            logger.exception("storing %d transactions failed; spilling them", len(entries))
            self._persister.spill(entries)

    def _collect(self) -> list[TransactionRecord]:
        """Up to `batch_size` records, waiting at most `flush_interval` after the first one.

        After the first record the writer sleeps through the interval (cut short by `flush`
        or `close`; skipped when a full batch is already queued) and then takes what has
        queued: one wake-up per batch, not one per record (each wake-up is a thread switch the
        event loop pays for)."""
        try:
            batch = [self._take(self._queue.get(timeout=self._poll))]
        except queue.Empty:
            return []
        batch_bytes = record_bytes(batch[0])
        if (
            self._flush_interval > 0
            and self._queue.qsize() + 1 < self._batch_size
            and not self._stopping.is_set()
        ):
            self._hurry.wait(self._flush_interval)
        while len(batch) < self._batch_size and batch_bytes < self._batch_bytes:
            try:
                record = self._take(self._queue.get_nowait())
            except queue.Empty:
                break
            batch.append(record)
            batch_bytes += record_bytes(record)
        return batch

    def _take(self, record: TransactionRecord) -> TransactionRecord:
        """Account for a record leaving the queue."""
        with self._cond:
            self._queued_bytes -= record_bytes(record)
        return record

    def _entries(self, batch: list[TransactionRecord]) -> list[Entry]:
        entries = []
        for record in batch:
            try:
                entries.append(record_entry(record, codec_lookup=self._codec_lookup))
            except Exception:
                logger.exception("could not serialize transaction %s", record.id)
                self._counters.add("dropped")
                self._settle(1)
        return entries

    def _settle(self, count: int) -> None:
        with self._cond:
            self._settled += count
            self._cond.notify_all()

    # --- direct spill (queue full, or closed) ------------------------------------------------

    def _spill_now(self, record: TransactionRecord) -> None:
        try:
            entry = record_entry(record, codec_lookup=self._codec_lookup)
            self._spill.append([entry], sync=False)  # no fsync on the caller's thread
            self._counters.add("spilled")
        except Exception:
            logger.exception("could not spill transaction %s", record.id)
            self._counters.add("dropped")

    def _drain_to_spill(self) -> None:
        """Spill what is still queued (a record taken by both paths is stored once: replays
        skip ids already stored)."""
        while True:
            try:
                record = self._take(self._queue.get_nowait())
            except queue.Empty:
                return
            self._spill_now(record)
            self._settle(1)


def record_bytes(record: TransactionRecord) -> int:
    """About how much memory a record's bodies hold: the raw request and response bytes, and
    the final request once more (a parsed copy of about the same size)."""
    size = 1024
    for body in (record.request_original, record.response_original):
        if isinstance(body, bytes | str):
            size += len(body)
    if isinstance(record.request_original, bytes | str):
        size += len(record.request_original)
    return size
