"""`ProcessSingleton`: one lazily created instance per process, safe to reach from any thread.

The taps' services (recorder, broadcaster, audience) each live once per worker process: made
on first use from the settings of the moment, and forgotten by `reset()` (tests, settings
changes) so that the next use makes a fresh one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class ProcessSingleton(Generic[T]):
    """Holds the one instance `factory` makes; `get` is lock-free once it exists."""

    __slots__ = ("_factory", "_instance", "_lock")

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._instance: T | None = None

    def get(self) -> T:
        """The instance, made on first use."""
        instance = self._instance
        if instance is not None:
            return instance
        with self._lock:
            if self._instance is None:
                self._instance = self._factory()
            return self._instance

    def reset(self) -> T | None:
        """Forget the instance and return it (None if there was none)."""
        with self._lock:
            old, self._instance = self._instance, None
        return old
