"""Whether anyone watches the live activity: a cheap answer for the broadcast tap.

Building and sending live events costs CPU on every proxied call, so `activity.broadcast` asks
`audience().watching()` first and only counts the event (`unwatched`) when nobody could
receive it. The answer never costs a network round trip on the client's path:

- viewers of this process (the WebSocket consumer, the SSE stream) register with
  `joined(channel)` and `left(channel)`: while there is one, the answer is yes;
- in-memory channel layer: only the viewers registered above (that layer reaches
  only the viewers of this process anyway);
- Redis channel layer (`REDIS_URL`): workers with viewers announce them in one Redis key with
  a short TTL (`SET … PX`, refreshed every `ANNOUNCE_S` by one task per worker, expiring
  `TTL_S` after the last refresh), and every worker reads that key in the background at most
  once per `POLL_S`, started by the tap itself when due, and answers from the last read. A
  viewer connected to another worker may miss up to about a second of events. An answer older
  than `STALE_S` (no traffic for a while) or a failed read counts as yes: sending events to
  nobody is cheaper than losing them;
- any other layer: always yes.

The Redis key is namespaced by the channel layer's prefix, like the layer's own groups.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import redis.asyncio
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings

from wire.process_wide import Service

logger = logging.getLogger("activity.audience")

POLL_S = 1.0
STALE_S = 3.0
ANNOUNCE_S = 5.0
TTL_S = 15.0
_TIMEOUT_S = 1.0

Clock = Callable[[], float]
Connect = Callable[[str], redis.asyncio.Redis]


def connect_redis(url: str) -> redis.asyncio.Redis:
    """An async Redis client with short timeouts (as for the policy version stamp)."""
    return redis.asyncio.Redis.from_url(
        url, socket_timeout=_TIMEOUT_S, socket_connect_timeout=_TIMEOUT_S
    )


def presence_key(prefix: str) -> str:
    """The Redis key announcing viewers of the channel layer with this prefix."""
    return f"luthien:activity:viewers:{prefix}"


class _LoopLink:
    """What the shared presence keeps per event loop: a Redis client and the announcer task."""

    __slots__ = ("announcer", "client")

    def __init__(self, client: redis.asyncio.Redis) -> None:
        self.client = client
        self.announcer: asyncio.Task[None] | None = None


class SharedPresence:
    """Viewers of every worker as one Redis key with a TTL; `present()` is the hot-path read."""

    def __init__(
        self,
        url: str,
        key: str,
        *,
        poll_interval: float = POLL_S,
        stale_after: float = STALE_S,
        announce_interval: float = ANNOUNCE_S,
        ttl: float = TTL_S,
        clock: Clock = time.monotonic,
        connect: Connect = connect_redis,
    ) -> None:
        self.url = url
        self.key = key
        self._connect = connect
        self._poll_interval = poll_interval
        self._stale_after = stale_after
        self._announce_interval = announce_interval
        self._ttl_ms = max(1, int(ttl * 1000))
        self._clock = clock
        self._present = False
        self._known_at = -math.inf
        self._next_poll = -math.inf
        self._poll: asyncio.Task[bool] | None = None
        self._links: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopLink] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()
        self._failing = False

    def present(self) -> bool:
        """The last answer read from Redis (no I/O); starts a background read when one is due.
        Yes while the answer is stale or unknown."""
        now = self._clock()
        if now >= self._next_poll:
            self._next_poll = now + self._poll_interval
            self._start_poll()
        if now - self._known_at > self._stale_after:
            return True
        return self._present

    async def refresh(self) -> bool:
        """Read the key now; whether anyone watches (yes when Redis does not answer)."""
        try:
            found = await self._link().client.exists(self.key)
        except Exception as error:
            self._failed("read", error)
            return True
        self._present, self._known_at = bool(found), self._clock()
        self._recovered()
        return self._present

    async def announce(self) -> None:
        """Set the key for `ttl` seconds: "this worker has viewers"."""
        try:
            await self._link().client.set(self.key, b"1", px=self._ttl_ms)
        except Exception as error:
            self._failed("announce", error)
        else:
            self._recovered()

    def keep_announcing(self, wanted: Callable[[], bool]) -> None:
        """Announce now and every `announce_interval` while `wanted()` (one task per loop;
        nothing without a running loop)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        link = self._link()
        if link.announcer is None or link.announcer.done():
            link.announcer = loop.create_task(
                self._announce_while(wanted), name="activity-audience-announce"
            )

    def stop_announcing(self) -> None:
        """Stop this loop's announcer; the key expires by itself (other workers' viewers)."""
        with contextlib.suppress(RuntimeError):
            link = self._links.get(asyncio.get_running_loop())
            if link is not None and link.announcer is not None:
                link.announcer.cancel()
                link.announcer = None

    async def aclose(self) -> None:
        """Stop this loop's tasks and close its Redis client."""
        loop = asyncio.get_running_loop()
        link = self._links.pop(loop, None)
        tasks: list[asyncio.Task[Any]] = []
        if link is not None and link.announcer is not None:
            tasks.append(link.announcer)
        if self._poll is not None and self._poll.get_loop() is loop:
            tasks.append(self._poll)
            self._poll = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if link is not None:
            with contextlib.suppress(Exception):
                await link.client.aclose()

    # --- internals -----------------------------------------------------------------------------

    def _start_poll(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        poll = self._poll
        if poll is not None and not poll.done() and poll.get_loop() is loop:
            return  # still reading (Redis slow): at most one read at a time
        self._poll = loop.create_task(self.refresh(), name="activity-audience-poll")

    async def _announce_while(self, wanted: Callable[[], bool]) -> None:
        while wanted():
            await self.announce()
            await asyncio.sleep(self._announce_interval)

    def _link(self) -> _LoopLink:
        """This loop's client (a redis.asyncio client belongs to the loop that uses it)."""
        loop = asyncio.get_running_loop()
        link = self._links.get(loop)
        if link is None:
            with self._lock:
                link = self._links.get(loop)
                if link is None:
                    link = self._links[loop] = _LoopLink(self._connect(self.url))
        return link

    def _failed(self, what: str, error: Exception) -> None:
        if not self._failing:
            logger.warning(
                "live viewers' presence: Redis %s failed (%r); assuming someone watches",
                what,
                error,
            )
        self._failing = True

    def _recovered(self) -> None:
        if self._failing:
            logger.warning("live viewers' presence: Redis answers again")
        self._failing = False


class Audience:
    """Who watches the live activity of this process's channel layer (see the module doc).

    `watching()` is for the hot path: no I/O, never raises. `joined`/`left` are called by the
    viewers of this process (from their event loop)."""

    def __init__(
        self,
        *,
        layer_alias: str = "default",
        shared_presence: Callable[[str, str], SharedPresence] = SharedPresence,
    ) -> None:
        self.layer_alias = layer_alias
        self._make_shared = shared_presence  # (Redis URL, key) -> SharedPresence
        self._viewers: set[str] = set()
        self._layer: Any = None  # the layer the two attributes below were decided for
        self._in_memory = False
        self._shared: SharedPresence | None = None
        self._lock = threading.Lock()

    def watching(self) -> bool:
        """Whether a live event could reach anyone now."""
        if self._viewers:
            return True
        layer = get_channel_layer(self.layer_alias)
        if layer is None:
            return False
        if layer is not self._layer:
            self._bind(layer)
        if self._in_memory:  # an in-process layer: its viewers are this process's, counted above
            return False
        shared = self._shared
        return True if shared is None else shared.present()

    def joined(self, channel: str) -> None:
        """A viewer of this process started receiving the group (announced to every worker)."""
        self._viewers.add(channel)
        shared = self._current_shared()
        if shared is not None:
            shared.keep_announcing(self._has_viewers)

    def left(self, channel: str) -> None:
        """That viewer is gone (unknown channels are ignored)."""
        self._viewers.discard(channel)
        if not self._viewers and self._shared is not None:
            self._shared.stop_announcing()

    @property
    def viewers(self) -> int:
        """Viewers connected to this process."""
        return len(self._viewers)

    async def refresh(self) -> bool:
        """Read the shared presence now, instead of in the background (start-up, tests)."""
        shared = self._current_shared()
        return await shared.refresh() if shared is not None else self.watching()

    async def aclose(self) -> None:
        """Stop this loop's background tasks and close its Redis client (shutdown, tests)."""
        if self._shared is not None:
            await self._shared.aclose()

    def _has_viewers(self) -> bool:
        return bool(self._viewers)

    def _current_shared(self) -> SharedPresence | None:
        layer = get_channel_layer(self.layer_alias)
        if layer is not None and layer is not self._layer:
            self._bind(layer)
        return self._shared

    def _bind(self, layer: Any) -> None:
        """Decide how to tell presence for `layer` (the layer changes only with settings)."""
        with self._lock:
            if layer is self._layer:
                return
            self._in_memory = isinstance(layer, InMemoryChannelLayer)
            self._shared = None
            if not self._in_memory and settings.REDIS_URL:
                key = presence_key(str(getattr(layer, "prefix", "")))
                self._shared = self._make_shared(settings.REDIS_URL, key)
            self._layer = layer


_AUDIENCE = Service("audience", Audience, close=Audience.aclose)


def audience() -> Audience:
    """The process's audience, created on first use."""
    return _AUDIENCE.get()


def reset_audience() -> None:
    """Forget the current audience (tests; settings changes): the next call makes a new one."""
    _AUDIENCE.reset()
