"""The client side of the ASGI lifespan protocol, for servers that do not speak it (daphne).

`LifespanManager(app)` runs `app` with a `lifespan` scope in a task: `startup()` sends
`lifespan.startup` and returns on `lifespan.startup.complete` (raises `LifespanFailed` on
`…failed` or when the app returns early); `shutdown()` sends `lifespan.shutdown` and waits for
`lifespan.shutdown.complete`. Both must run on the same event loop, the one that serves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

Message = dict[str, Any]
ASGIApp = Callable[
    [dict[str, Any], Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Coroutine[Any, Any, None],
]


class LifespanFailed(RuntimeError):
    """The application reported `lifespan.startup.failed` (or stopped answering)."""


class LifespanManager:
    """Drives one application's lifespan: `startup()` once, later `shutdown()` once."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._inbox: asyncio.Queue[Message] | None = None
        self._outbox: asyncio.Queue[Message] | None = None
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        """Start the app's lifespan task and wait until its start-up is complete."""
        self._inbox, self._outbox = asyncio.Queue(), asyncio.Queue()
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
        self._task = asyncio.get_running_loop().create_task(
            self._app(scope, self._inbox.get, self._outbox.put), name="asgi-lifespan"
        )
        await self._inbox.put({"type": "lifespan.startup"})
        answer = await self._answer()
        if answer.get("type") != "lifespan.startup.complete":
            raise LifespanFailed(answer.get("message") or "start-up failed")

    async def shutdown(self) -> None:
        """Ask the app to shut down and wait for it (no-op when start-up never ran)."""
        if self._inbox is None or self._task is None or self._task.done():
            return
        await self._inbox.put({"type": "lifespan.shutdown"})
        answer = await self._answer()
        if answer.get("type") != "lifespan.shutdown.complete":
            raise LifespanFailed(answer.get("message") or "shutdown failed")
        await self._task

    async def _answer(self) -> Message:
        """The app's next message, or an error when its task ends first."""
        if self._outbox is None or self._task is None:
            raise LifespanFailed("the lifespan was not started")
        getter = asyncio.ensure_future(self._outbox.get())
        await asyncio.wait({getter, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()
        error = self._task.exception()
        if error is not None:
            raise LifespanFailed(f"the application failed: {error!r}") from error
        raise LifespanFailed("the application ended its lifespan without answering")
