"""Keep-alive pool of `Http11Connection`s, per origin, with a cap on open connections.

Idle connections wait in a per-origin stack (the most recently used goes out first, so a few
warm connections serve a steady load and the rest expire). Nothing is polled: a connection the
upstream closes removes itself from the pool the moment the event loop sees the close, and
expiry is checked only for the connection being handed out. When every allowed connection is
busy, callers queue (first come, first served) until one is released or the pool timeout ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections import deque

from gateway.http11.connection import Http11Connection, WaitTimeout

Origin = tuple[str, str, int]  # scheme, host, port


class PoolClosed(Exception):
    """The pool was closed while a caller waited for a connection."""


class Http11Pool:
    """Hands out connections; `release` takes them back, `discard` closes them."""

    def __init__(
        self,
        *,
        max_connections: int,
        max_keepalive: int,
        keepalive_expiry: float,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._max_connections = max(1, max_connections)
        self._max_keepalive = max(0, max_keepalive)
        self._expiry = keepalive_expiry
        self._ssl_context = ssl_context
        self._idle: dict[Origin, list[Http11Connection]] = {}
        self._idle_count = 0
        self._open = 0  # connecting, busy or idle: what counts against max_connections
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._closed = False

    @property
    def open_connections(self) -> int:
        """Connections counted against the cap (connecting, busy or idle)."""
        return self._open

    @property
    def idle_connections(self) -> int:
        """Connections waiting for their next request."""
        return self._idle_count

    async def acquire(
        self, origin: Origin, *, connect_timeout: float | None, pool_timeout: float | None
    ) -> Http11Connection:
        """A warm idle connection to `origin`, or a new one when the cap allows."""
        while True:
            connection = self._take_idle(origin)
            if connection is not None:
                return connection
            if self._closed:
                raise PoolClosed("the upstream connection pool is closed")
            if self._open < self._max_connections or self._evict_other_idle():
                return await self._connect(origin, connect_timeout)
            await self._wait_for_room(pool_timeout)

    def release(self, connection: Http11Connection) -> None:
        """Take back a connection whose exchange ended; keep it if it can serve another."""
        if not connection.reusable or self._closed or self._idle_count >= self._max_keepalive:
            self.discard(connection)
            return
        connection.reused = True
        connection.idle_since = time.monotonic()
        self._idle.setdefault(connection.origin, []).append(connection)
        self._idle_count += 1
        self._wake_one()

    def discard(self, connection: Http11Connection) -> None:
        """Close a connection (broken, cancelled mid-exchange, or surplus)."""
        connection.close()  # calls _lost, which frees its place

    async def aclose(self) -> None:
        """Close every idle connection and refuse new work; busy ones close when released."""
        self._closed = True
        for stack in list(self._idle.values()):
            for connection in list(stack):
                connection.close()
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(PoolClosed("the upstream connection pool is closed"))

    # -- internals ----------------------------------------------------------------------------

    def _take_idle(self, origin: Origin) -> Http11Connection | None:
        stack = self._idle.get(origin)
        now = time.monotonic()
        while stack:
            connection = stack.pop()
            self._idle_count -= 1
            if now - connection.idle_since < self._expiry:
                return connection
            connection.close()  # expired (closed ones have already left the stack)
        return None

    def _evict_other_idle(self) -> bool:
        """At the cap: close the longest-idle connection to another origin to make room."""
        oldest: Http11Connection | None = None
        for stack in self._idle.values():
            if stack and (oldest is None or stack[0].idle_since < oldest.idle_since):
                oldest = stack[0]
        if oldest is None:
            return False
        oldest.close()
        return self._open < self._max_connections

    async def _connect(self, origin: Origin, wait_s: float | None) -> Http11Connection:
        scheme, host, port = origin
        loop = asyncio.get_running_loop()
        self._open += 1
        try:
            async with asyncio.timeout(wait_s):
                _, connection = await loop.create_connection(
                    lambda: Http11Connection(origin, self._lost),
                    host,
                    port,
                    ssl=self._ssl_context if scheme == "https" else None,
                    server_hostname=host if scheme == "https" else None,
                )
        except BaseException:
            self._open -= 1
            self._wake_one()
            raise
        return connection

    def _lost(self, connection: Http11Connection) -> None:
        """A connection closed (either side): forget it and let a waiter in."""
        stack = self._idle.get(connection.origin)
        if stack and connection in stack:
            stack.remove(connection)
            self._idle_count -= 1
        self._open -= 1
        self._wake_one()

    async def _wait_for_room(self, wait_s: float | None) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(wait_s):
                await waiter
        except BaseException as error:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._wake_one()  # woken, but leaving (cancelled, timed out): pass the turn on
            if isinstance(error, TimeoutError):
                raise WaitTimeout("pool") from error
            raise
        finally:
            if not waiter.done():
                waiter.cancel()
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
