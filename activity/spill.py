"""Spill files: where the recorder parks transactions it cannot write to the database yet.

Layout of the spill directory (`LUTHIEN_SPILL_DIR`), one JSON entry per line:

    spill-<time>-<pid>-<token>.jsonl      waiting to be replayed into the database, then deleted
    rejected-<time>-<pid>-<token>.jsonl   entries the database refused as bad data (kept for a
                                          human; never replayed automatically)
    .spill-*.tmp                          a file being created (never read)

Several processes may share the directory. Each appends only to its own *active* file and holds
an exclusive `flock` on it for as long as it keeps it open, so nobody replays a file that is
still being written. A process *seals* its active file (closes it, releasing the lock) before it
replays and when the file grows past `max_bytes`. A replayer holds the lock (taken with
`LOCK_NB`) for the whole replay, so two processes never replay the same file; the kernel drops
the locks of a process that died, so the next replayer picks its files up. Appends are single
`write` calls on an `O_APPEND` descriptor; a torn last line (crash mid-write) is moved to a
rejected file when read, never silently discarded.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

logger = logging.getLogger("activity.spill")

SPILL_GLOB = "spill-*.jsonl"
_DUMP_OPTIONS = orjson.OPT_NON_STR_KEYS


def _token() -> str:
    return f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def dump_lines(entries: Sequence[Mapping[str, Any]]) -> bytes:
    """Entries as JSON lines."""
    return b"".join(orjson.dumps(entry, option=_DUMP_OPTIONS) + b"\n" for entry in entries)


class SpillFile:
    """A spill file claimed for replay: locked until `close()`; `remove()` deletes it."""

    def __init__(self, store: SpillStore, path: Path, fd: int) -> None:
        self.store = store
        self.path = path
        self._fd = fd
        self.removed = False

    def batches(self, size: int) -> Iterator[list[dict[str, Any]]]:
        """The entries in file order, `size` at a time. Unreadable lines go to a rejected file."""
        batch: list[dict[str, Any]] = []
        with os.fdopen(self._fd, "rb", closefd=False) as stream:
            stream.seek(0)
            for line in stream:
                entry = self._parse(line)
                if entry is not None:
                    batch.append(entry)
                if len(batch) >= size:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def _parse(self, line: bytes) -> dict[str, Any] | None:
        if not line.strip():
            return None
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            entry = None
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            return entry
        logger.error("unreadable line in spill file %s", self.path)
        self.store.reject([{"raw": line.decode("utf-8", "replace")}], reason="unreadable line")
        return None

    def remove(self) -> None:
        """Delete the file (while still holding its lock)."""
        self.path.unlink(missing_ok=True)
        self.removed = True

    def close(self) -> None:
        """Release the lock."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> SpillFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class SpillStore:
    """The spill directory of one process: appends to its own active file, claims files to
    replay, keeps rejected entries aside. Thread-safe."""

    def __init__(self, directory: str | Path, *, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._fd = -1
        self._size = 0
        self._dirty = False

    def append(self, entries: Sequence[Mapping[str, Any]], *, sync: bool = True) -> None:
        """Append entries to this process's active file (`sync`: fsync before returning)."""
        if not entries:
            return
        data = dump_lines(entries)
        with self._lock:
            if self._fd < 0:
                self._fd = self._create_active()
                self._size = 0
            _write_all(self._fd, data)
            if sync:
                os.fsync(self._fd)
            self._size += len(data)
            self._dirty = True
            if self._size >= self.max_bytes:
                self._seal_locked()

    def take_dirty(self) -> bool:
        """Whether anything was appended since the last call."""
        with self._lock:
            dirty, self._dirty = self._dirty, False
            return dirty

    def seal(self) -> None:
        """Close the active file so it can be replayed (by this process or another)."""
        with self._lock:
            self._seal_locked()

    def close(self) -> None:
        """Release this process's active file (same as `seal`)."""
        self.seal()

    def pending(self) -> list[Path]:
        """Spill files waiting for replay, oldest first (including locked ones)."""
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob(SPILL_GLOB))

    def oldest_pending_age(self, now: float | None = None) -> float:
        """Seconds since the oldest waiting spill file was created (0 when none waits): its
        name starts with its creation time."""
        current = time.time() if now is None else now
        oldest = current
        for path in self.pending():
            created = path.name[len("spill-") :].split("-", 1)[0]
            try:
                oldest = min(oldest, int(created) / 1e9)
            except ValueError:
                continue
        return max(0.0, current - oldest)

    def try_claim(self, path: Path) -> SpillFile | None:
        """Lock `path` for replay; None if another process holds it or it is gone."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        if not self._still_linked(path, fd):
            os.close(fd)  # replayed and deleted by someone else meanwhile
            return None
        return SpillFile(self, path, fd)

    def reject(self, entries: Sequence[Mapping[str, Any]], *, reason: str) -> None:
        """Keep entries the database refused in a rejected file, with the reason."""
        if not entries:
            return
        data = dump_lines([{"reason": reason, "entry": entry} for entry in entries])
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"rejected-{_token()}.jsonl"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)

    def _create_active(self) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        token = _token()
        tmp = self.directory / f".spill-{token}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)  # locked before it becomes visible under its real name
        os.rename(tmp, self.directory / f"spill-{token}.jsonl")
        _fsync_dir(self.directory)
        return fd

    def _seal_locked(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
            self._size = 0

    @staticmethod
    def _still_linked(path: Path, fd: int) -> bool:
        try:
            return os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            return False
