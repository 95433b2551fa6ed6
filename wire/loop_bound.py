"""`LoopBound`: one object per running event loop, made on first use, such as a shared HTTP
client (its connections belong to the loop that opened them). A new loop (tests) gets a new one;
the old one died with its loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class LoopBound(Generic[T]):
    """Holds `factory()`'s object for the running event loop."""

    __slots__ = ("_factory", "_held")

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._held: tuple[asyncio.AbstractEventLoop, T] | None = None

    def get(self) -> T:
        """The running loop's object, made on first use."""
        loop = asyncio.get_running_loop()
        held = self._held
        if held is None or held[0] is not loop:
            held = self._held = (loop, self._factory())
        return held[1]

    async def close(self, closer: Callable[[T], Awaitable[object]]) -> None:
        """Forget the object, after `closer(obj)` if it belongs to the running loop."""
        held, self._held = self._held, None
        if held is not None and held[0] is asyncio.get_running_loop():
            await closer(held[1])
