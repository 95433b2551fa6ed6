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

from activity.recorder.core import Recorder
from activity.recorder.entries import record_entry
from activity.singleton import ProcessSingleton

__all__ = ["Recorder", "record_entry", "recorder", "reset_recorder"]


def _create_recorder() -> Recorder:
    instance = Recorder.from_settings()
    atexit.register(instance.close)
    return instance


_RECORDER = ProcessSingleton(_create_recorder)


def recorder() -> Recorder:
    """The process's recorder, created from settings on first use."""
    return _RECORDER.get()


def reset_recorder(timeout: float = 5.0) -> bool:
    """Close the current recorder (flushing it) and forget it; the next `recorder()` makes a
    new one from the current settings. Returns whether the old one closed cleanly."""
    old = _RECORDER.reset()
    if old is None:
        return True
    atexit.unregister(old.close)
    return old.close(timeout)
