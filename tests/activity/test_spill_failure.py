"""The recorder when the spill file refuses entries (disk full): held in memory, counted once,
the reason kept, written once the database returns; nothing raised, nothing lost."""

from __future__ import annotations

import errno
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import OperationalError

from activity.recorder.persist import Counters, Persister
from activity.spill import SpillStore


class FullDisk(SpillStore):
    """A spill store whose appends fail like a full disk while `full` is set."""

    full = True

    def append(self, entries: Sequence[Mapping[str, Any]], *, sync: bool = True) -> None:
        if self.full:
            raise OSError(errno.ENOSPC, "No space left on device")
        super().append(entries, sync=sync)


@dataclass
class Written:
    written: int
    duplicates: int = 0


class Database:
    """A write function that fails like a stopped server while `up` is false."""

    def __init__(self) -> None:
        self.up = False
        self.rows: list[str] = []

    def __call__(self, entries: Sequence[dict[str, Any]]) -> Written:
        if not self.up:
            raise OperationalError("connection refused")
        self.rows += [entry["id"] for entry in entries]
        return Written(len(entries))


def _persister(tmp_path: Path, database: Database, store: SpillStore) -> tuple[Persister, Counters]:
    counters = Counters()
    persister = Persister(
        write=database,
        spill=store,
        counters=counters,
        on_settled=lambda count: None,
        backoff_initial=0.0,
        backoff_max=0.0,
    )
    return persister, counters


def test_a_full_disk_holds_entries_counts_them_once_and_writes_them_later(tmp_path: Path) -> None:
    database, store = Database(), FullDisk(tmp_path / "spill")
    persister, counters = _persister(tmp_path, database, store)

    persister.store([{"id": "a"}, {"id": "b"}])
    persister.maintain()  # retries: the disk is still full, the database still down
    persister.maintain()

    assert persister.held == 2
    assert persister.spill_error == "OSError: No space left on device"
    stats = counters.snapshot()
    assert (stats["spill_failures"], stats["spilled"], stats["dropped"]) == (2, 0, 0)

    database.up = True
    persister.maintain()
    assert database.rows == ["a", "b"]
    assert (persister.held, persister.spill_error) == (0, "")


def test_spilling_again_clears_the_error(tmp_path: Path) -> None:
    database, store = Database(), FullDisk(tmp_path / "spill")
    persister, counters = _persister(tmp_path, database, store)
    persister.store([{"id": "a"}])
    store.full = False
    persister.maintain()
    assert (persister.held, persister.spill_error) == (0, "")
    assert counters.snapshot()["spilled"] == 1
    assert len(store.pending()) == 1
