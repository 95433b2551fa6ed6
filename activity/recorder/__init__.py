"""The recorder: persists every finished transaction off the client's path.

Public surface (the pipeline only ever calls `recorder().submit(record)`, via `activity.taps`):

    recorder()        the per-process `Recorder`, created lazily (flushed at interpreter exit)
    reset_recorder()  close it and forget it (tests; settings changes)
    Recorder          submit(record), flush(timeout), close(timeout), stats(), start()
    record_entry()    a record as the JSON entry that is stored and spilled

Modules: `core` (queue and writer thread), `persist` (write, spill, replay, backoff),
`database` (the batch write on a connection kept across batches), `entries` (record → JSON
entry, bodies assembled from events); spill files live in
`activity.spill`, the database writes in `activity.services`.
"""

from __future__ import annotations

import atexit
import threading

from activity.recorder.core import Recorder
from activity.recorder.entries import record_entry

__all__ = ["Recorder", "record_entry", "recorder", "reset_recorder"]


class _Slot:
    """Holds the one per-process recorder."""

    __slots__ = ("instance", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.instance: Recorder | None = None


_SLOT = _Slot()


def recorder() -> Recorder:
    """The process's recorder, created from settings on first use."""
    instance = _SLOT.instance
    if instance is not None:
        return instance
    with _SLOT.lock:
        if _SLOT.instance is None:
            _SLOT.instance = Recorder.from_settings()
            atexit.register(_SLOT.instance.close)
        return _SLOT.instance


def reset_recorder(timeout: float = 5.0) -> bool:
    """Close the current recorder (flushing it) and forget it; the next `recorder()` makes a
    new one from the current settings. Returns whether the old one closed cleanly."""
    with _SLOT.lock:
        old, _SLOT.instance = _SLOT.instance, None
    if old is None:
        return True
    atexit.unregister(old.close)
    return old.close(timeout)
