"""Keep-alive pool of `Http11Connection`s, per origin, with a cap on open connections.

Idle connections wait in a per-origin stack (the most recently used goes out first, so a few
warm connections serve a steady load and the rest expire). Nothing is polled: a connection the
upstream closes removes itself from the pool the moment the event loop sees the close, and
expiry is checked only for the connection being handed out.

When every allowed connection is busy, callers queue, first come first served, and what frees
up is handed to the oldest waiter directly: a released connection to the first waiter for its
origin, a freed place (a closed connection) to the first waiter of any origin, who then
connects. A newcomer can never take it in between, so a queued request waits at most its pool
timeout.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque

from wire.egress.proxy_url import ProxyURL
from wire.http11.connection import Http11Connection, WaitTimeout
from wire.http11.tunnel import open_forwarding, open_tunnel

Origin = tuple[str, str, int]  # scheme, host, port
# What a waiter is handed: a connection ready for its origin, or None: "a place is reserved for
# you, connect".
_Handoff = Http11Connection | None


class PoolClosed(Exception):
    """The pool was closed while a caller waited for a connection."""


class _Waiter:
    """A queued caller: its origin and the future that receives its hand-off."""

    __slots__ = ("future", "origin")

    def __init__(self, origin: Origin, future: asyncio.Future[_Handoff]) -> None:
        self.origin = origin
        self.future = future


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
        self._open = 0  # connecting, busy, idle or reserved for a waiter: counts against the cap
        self._waiters: deque[_Waiter] = deque()
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
        self,
        origin: Origin,
        *,
        connect_timeout: float | None,
        pool_timeout: float | None,
        proxy: ProxyURL | None = None,
    ) -> Http11Connection:
        """A warm idle connection to `origin`, or a new one when the cap allows, or the first
        one freed for this caller within `pool_timeout`. A new connection goes through `proxy`
        when given (the caller decides it per origin, so an origin's connections all agree)."""
        connection = self._take_idle(origin)
        if connection is not None:
            return connection
        if self._closed:
            raise PoolClosed("the upstream connection pool is closed")
        self._drop_departed_waiters()
        if not self._waiters and (self._open < self._max_connections or self._evict_other_idle()):
            self._open += 1
            return await self._connect(origin, proxy, connect_timeout)
        handed = await self._wait_for_handoff(origin, pool_timeout)
        if handed is not None:
            return handed
        return await self._connect(origin, proxy, connect_timeout)  # its place was reserved

    def release(self, connection: Http11Connection) -> None:
        """Take back a connection whose exchange ended; keep it if it can serve another."""
        if not connection.reusable or self._closed:
            self.discard(connection)
            return
        connection.reused = True
        connection.idle_since = time.monotonic()
        for waiter in self._waiters:
            if waiter.origin == connection.origin and not waiter.future.done():
                self._waiters.remove(waiter)
                waiter.future.set_result(connection)
                return
        self._drop_departed_waiters()
        if self._waiters or self._idle_count >= self._max_keepalive:
            connection.close()  # its place goes to a waiter of another origin (see _lost)
            return
        self._idle.setdefault(connection.origin, []).append(connection)
        self._idle_count += 1

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
            future = self._waiters.popleft().future
            if not future.done():
                future.set_exception(PoolClosed("the upstream connection pool is closed"))

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

    async def _connect(
        self, origin: Origin, proxy: ProxyURL | None, wait_s: float | None
    ) -> Http11Connection:
        """Open a connection (direct, or through `proxy`) in a place already counted in
        `_open`."""
        scheme, host, port = origin
        loop = asyncio.get_running_loop()
        made: list[Http11Connection] = []

        def factory() -> Http11Connection:
            connection = Http11Connection(origin, self._lost)
            made.append(connection)
            return connection

        try:
            async with asyncio.timeout(wait_s):
                if proxy is None:
                    await loop.create_connection(
                        factory,
                        host,
                        port,
                        ssl=self._tls_context() if scheme == "https" else None,
                        server_hostname=host if scheme == "https" else None,
                    )
                elif scheme == "https":
                    await open_tunnel(proxy, host, port, self._tls_context(), factory)
                else:
                    await open_forwarding(proxy, factory)
        except BaseException:
            if made:
                made[0].close()  # gives its place back through _lost, exactly once
            else:
                self._open -= 1
                self._hand_place_over()
            raise
        return made[0]

    def _tls_context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def _lost(self, connection: Http11Connection) -> None:
        """A connection closed (either side): forget it; its place goes to a waiter."""
        stack = self._idle.get(connection.origin)
        if stack and connection in stack:
            stack.remove(connection)
            self._idle_count -= 1
        self._open -= 1
        self._hand_place_over()

    def _drop_departed_waiters(self) -> None:
        while self._waiters and self._waiters[0].future.done():
            self._waiters.popleft()

    def _hand_place_over(self) -> None:
        """A place under the cap is free: reserve it for the oldest waiter, if any."""
        while self._waiters and self._open < self._max_connections:
            future = self._waiters.popleft().future
            if not future.done():
                self._open += 1
                future.set_result(None)
                return

    async def _wait_for_handoff(self, origin: Origin, wait_s: float | None) -> _Handoff:
        future: asyncio.Future[_Handoff] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(origin, future)
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(wait_s):
                return await future
        except BaseException as error:
            if future.done() and not future.cancelled() and future.exception() is None:
                self._give_back(future.result())  # handed over, but leaving: pass it on
            else:
                future.cancel()
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                self._hand_place_over()  # a place may have been kept free for the queue
            if isinstance(error, TimeoutError):
                raise WaitTimeout("pool") from error
            raise

    def _give_back(self, handed: _Handoff) -> None:
        if handed is None:
            self._open -= 1
            self._hand_place_over()
        else:
            self.release(handed)
