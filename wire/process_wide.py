"""Process-wide services: the one place that makes, closes and resets a worker's singletons.

A `Service` holds one object per process (or, `per_loop=True`, per running event loop: an HTTP
client's connections belong to the loop that opened them), made by its factory on first
`get()`. Every `Service` joins the process's registry (`PROCESS`) when it is created, so:

    close_all()   lifespan shutdown: closes every made object, newest first (what was made
                  later may use what was made earlier: a judge uses the upstream client)
    reset_all()   tests: forget every object (running each one's `on_reset`), so the next
                  `get()` makes a fresh one from the settings of the moment
    service(name) a registered service by name

A service is declared next to the code that uses it (`activity.recorder`, `wire.http_client`,
`policies.runtime`…), which reaches it through its own accessor. This module imports nothing
from the project, so it sits in the lowest layer (`wire`) and every app can declare services.

Memoised pure functions (`functools.lru_cache` keyed by their inputs, e.g. parsed URLs) are
not services: they hold no connection and nothing to close.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

logger = logging.getLogger("luthien")

Closer = Callable[[T], Awaitable[object] | object]

_made = itertools.count()  # creation order across services, for close_all's newest-first


class Service(Generic[T]):
    """One process-wide object: `get` (made on first use, lock-free once made), `aclose`
    (shutdown: run `close` on it) and `reset` (tests: run `on_reset`, then forget it)."""

    __slots__ = ("_factory", "_held", "_lock", "close", "name", "on_reset", "per_loop")

    def __init__(
        self,
        name: str,
        factory: Callable[[], T],
        *,
        close: Closer[T] | None = None,
        on_reset: Callable[[T], object] | None = None,
        per_loop: bool = False,
        registry: Registry | None = None,
    ) -> None:
        self.name = name
        self.close = close
        self.on_reset = on_reset
        self.per_loop = per_loop
        self._factory = factory
        self._lock = threading.Lock()
        # (order made, event loop or None, the object)
        self._held: tuple[int, asyncio.AbstractEventLoop | None, T] | None = None
        (registry or PROCESS).add(self)

    def get(self) -> T:
        """The object, made on first use (per running loop when `per_loop`)."""
        held = self._held
        if not self.per_loop:
            if held is not None:
                return held[2]
            with self._lock:
                if self._held is None:
                    self._held = (next(_made), None, self._make())
                return self._held[2]
        loop = asyncio.get_running_loop()
        if held is None or held[1] is not loop:
            held = self._held = (next(_made), loop, self._make())
        return held[2]

    def peek(self) -> T | None:
        """The object if one is made (for this loop, when `per_loop`), else None; never makes."""
        held = self._held
        if held is None:
            return None
        if self.per_loop and held[1] is not _running_loop():
            return None
        return held[2]

    async def aclose(self) -> None:
        """Forget the object after running `close` on it. A per-loop object made on another
        loop is only forgotten: its connections died with that loop."""
        with self._lock:
            held, self._held = self._held, None
        if held is None or self.close is None:
            return
        if held[1] is not None and held[1] is not _running_loop():
            return
        result = self.close(held[2])
        if inspect.isawaitable(result):
            await result

    def reset(self) -> None:
        """Forget the object (tests, settings changes), after `on_reset(obj)` if set."""
        with self._lock:
            held, self._held = self._held, None
        if held is not None and self.on_reset is not None:
            self.on_reset(held[2])

    def _make(self) -> T:
        return self._factory()

    def _made_order(self) -> int:
        held = self._held
        return -1 if held is None else held[0]

    def __repr__(self) -> str:
        return f"<Service {self.name!r} {'made' if self._held else 'not made'}>"


class Registry:
    """Services by name; the process has one (`PROCESS`), tests may make their own."""

    def __init__(self) -> None:
        self._services: dict[str, Service[Any]] = {}
        self._lock = threading.Lock()

    def add(self, item: Service[Any]) -> None:
        """Register `item` (`ValueError` when its name is taken)."""
        with self._lock:
            if item.name in self._services:
                raise ValueError(f"a process-wide service named {item.name!r} already exists")
            self._services[item.name] = item

    def service(self, name: str) -> Service[Any]:
        """The service `name` (`KeyError` when there is none)."""
        return self._services[name]

    def services(self) -> list[Service[Any]]:
        """Every service, in registration order."""
        with self._lock:
            return list(self._services.values())

    async def close_all(self) -> list[str]:
        """Close every made object, newest first; a failing close is logged and the others
        still run. Returns the names of the services whose close failed."""
        failed = []
        for item in sorted(self.services(), key=Service._made_order, reverse=True):
            if item._held is None:
                continue
            try:
                await item.aclose()
            except Exception:
                logger.exception("closing the process-wide service %r failed", item.name)
                failed.append(item.name)
        return failed

    def reset_all(self) -> None:
        """Forget every object (tests): each service's next `get()` makes a fresh one."""
        for item in self.services():
            item.reset()


PROCESS = Registry()


def service(name: str) -> Service[Any]:
    """The process's service `name` (`KeyError` when there is none)."""
    return PROCESS.service(name)


def services() -> list[Service[Any]]:
    """Every service of the process, in registration order."""
    return PROCESS.services()


async def close_all() -> list[str]:
    """Lifespan shutdown: close every service of the process (see `Registry.close_all`)."""
    return await PROCESS.close_all()


def reset_all() -> None:
    """Tests: forget every object of the process's services (see `Registry.reset_all`)."""
    PROCESS.reset_all()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
