"""The recorder: persists every finished transaction off the client's path.

Public surface (the pipeline only ever calls `recorder().submit(record)`, via `activity.taps`):

    recorder()        the per-process `Recorder`, created lazily (flushed at interpreter exit)
    reset_recorder()  close it and forget it (tests; settings changes)

The recorder is a process-wide service (`wire.process_wide`): closed (flushed) by the
lifespan shutdown, reset by the tests' fixture.
    Recorder          submit(record), flush(timeout), close(timeout), stats(), start()
    record_entry()    a record as the JSON entry that is stored and spilled

Modules: `core` (queue and writer thread), `persist` (write, spill, replay, backoff),
`database` (the batch write on a connection kept across batches), `entries` (record → JSON
entry, bodies assembled from events); spill files live in
`activity.spill`, the database writes in `activity.services`.
"""

from __future__ import annotations

import asyncio
import atexit

from activity.recorder.core import Recorder
from activity.recorder.entries import record_entry
from wire.process_wide import Service

__all__ = ["Recorder", "record_entry", "recorder", "reset_recorder"]


def _create_recorder() -> Recorder:
    instance = Recorder.from_settings()
    atexit.register(instance.close)
    return instance


def _discard(instance: Recorder, timeout: float = 5.0) -> bool:
    atexit.unregister(instance.close)
    return instance.close(timeout)


async def _close(instance: Recorder) -> None:
    """Flush and stop off the event loop; at interpreter exit (no new pool threads) in place."""
    try:
        await asyncio.to_thread(_discard, instance)
    except RuntimeError:  # "cannot schedule new futures after interpreter shutdown"
        _discard(instance)


_RECORDER = Service("recorder", _create_recorder, close=_close, on_reset=_discard)


def recorder() -> Recorder:
    """The process's recorder, created from settings on first use."""
    return _RECORDER.get()


def reset_recorder() -> None:
    """Close the current recorder (flushing it) and forget it; the next `recorder()` makes a
    new one from the current settings."""
    _RECORDER.reset()
