"""`activity.audience`: who watches, answered without I/O on the hot path. The in-memory layer's
group and the viewers of this process are read directly; the shared presence (Redis) is
exercised here with a fake Redis and a fake clock (the real-Redis variant is in
`test_redis_audience.py`)."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

import pytest
from channels.layers import get_channel_layer

from activity.audience import Audience, SharedPresence, presence_key
from activity.live_events import GROUP
from tests.activity.live.conftest import layer_settings


class FakeClock:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeRedis:
    """Just enough of `redis.asyncio.Redis`: EXISTS and SET … PX on a store shared by every
    client (one Redis server), expiring by the fake clock; `down` makes every call fail."""

    def __init__(self, store: dict[str, float], clock: FakeClock) -> None:
        self.store = store
        self.clock = clock
        self.down = False
        self.reads = 0
        self.closed = False

    async def exists(self, key: str) -> int:
        self.reads += 1
        if self.down:
            raise ConnectionError("redis is down (simulated)")
        return int(self.store.get(key, 0.0) > self.clock())

    async def set(self, key: str, value: bytes, *, px: int) -> bool:
        if self.down:
            raise ConnectionError("redis is down (simulated)")
        self.store[key] = self.clock() + px / 1000
        return True

    async def aclose(self) -> None:
        self.closed = True


class FakeServer:
    """One fake Redis server: hands out clients and remembers them."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.store: dict[str, float] = {}
        self.clients: list[FakeRedis] = []

    def connect(self, url: str) -> FakeRedis:
        client = FakeRedis(self.store, self.clock)
        self.clients.append(client)
        return client

    @property
    def reads(self) -> int:
        return sum(client.reads for client in self.clients)

    def go_down(self, down: bool = True) -> None:
        for client in self.clients:
            client.down = down


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> FakeServer:
    return FakeServer(clock)


@pytest.fixture
def redis_like(settings: Any) -> None:
    """A layer that is not in-memory (as with Redis) and a REDIS_URL: the shared presence."""
    settings.CHANNEL_LAYERS = layer_settings("tests.activity.live.layers.OpaqueLayer")
    settings.REDIS_URL = "redis://fake"


def worker(server: FakeServer, clock: FakeClock, **timing: float) -> Audience:
    """The audience of one worker process, its shared presence in the fake Redis."""
    timing = {"poll_interval": 1.0, "stale_after": 3.0, "ttl": 15.0} | timing
    factory = functools.partial(SharedPresence, clock=clock, connect=server.connect, **timing)
    return Audience(shared_presence=factory)


async def settle() -> None:
    """Let background reads and announcements run."""
    for _ in range(5):
        await asyncio.sleep(0)


# --- in-memory layer and viewers of this process --------------------------------------------


async def test_in_memory_layer_watching_is_this_processes_viewers() -> None:
    """The in-process layer reaches only this process's viewers, which register themselves:
    the layer's own group table is never read (it is not Channels' public API)."""
    layer = get_channel_layer()
    audience = Audience()
    assert not audience.watching()
    channel = await layer.new_channel()
    await layer.group_add(GROUP, channel)
    assert not audience.watching()  # in the group, but no viewer registered
    audience.joined(channel)
    assert audience.watching()
    audience.left(channel)
    await layer.group_discard(GROUP, channel)
    assert not audience.watching()


async def test_viewers_of_this_process_count_whatever_the_layer(
    settings: Any, redis_like: None, server: FakeServer, clock: FakeClock
) -> None:
    audience = worker(server, clock)
    await audience.refresh()
    assert not audience.watching()
    audience.joined("ws.1")
    audience.joined("sse.2")
    assert audience.watching() and audience.viewers == 2
    audience.left("ws.1")
    audience.left("never-joined")
    assert audience.watching() and audience.viewers == 1
    audience.left("sse.2")
    assert audience.viewers == 0
    await audience.aclose()


async def test_an_opaque_layer_without_redis_is_always_watched(settings: Any) -> None:
    settings.CHANNEL_LAYERS = layer_settings("tests.activity.live.layers.OpaqueLayer")
    settings.REDIS_URL = ""
    assert Audience().watching()


def test_no_channel_layer_means_nobody_watches(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {}
    assert not Audience().watching()


# --- the shared presence (fake Redis) --------------------------------------------------------


async def test_unknown_until_read_then_the_answer_of_the_last_read(
    redis_like: None, server: FakeServer, clock: FakeClock
) -> None:
    audience = worker(server, clock)
    assert audience.watching()  # nothing read yet: assume someone watches, and read
    assert server.reads == 0  # never a round trip on the caller's path
    await settle()
    assert server.reads == 1
    assert not audience.watching()
    await audience.aclose()


async def test_reads_at_most_once_per_interval(
    redis_like: None, server: FakeServer, clock: FakeClock
) -> None:
    audience = worker(server, clock, poll_interval=1.0)
    for _ in range(1000):
        audience.watching()
    await settle()
    assert server.reads == 1
    clock.now += 0.5
    for _ in range(1000):
        assert not audience.watching()
    await settle()
    assert server.reads == 1
    clock.now += 0.6
    audience.watching()
    await settle()
    assert server.reads == 2
    await audience.aclose()


async def test_a_viewer_on_another_worker_is_seen_within_a_read(
    redis_like: None, server: FakeServer, clock: FakeClock
) -> None:
    here, there = worker(server, clock), worker(server, clock, ttl=15.0)
    await here.refresh()
    assert not here.watching()
    there.joined("ws.remote")  # announces at once
    await settle()
    assert server.store[presence_key("")] == clock.now + 15.0
    assert not here.watching()  # until this worker reads again (at most a second)
    clock.now += 1.0
    here.watching()
    await settle()
    assert here.watching()
    there.left("ws.remote")  # nobody refreshes the key any more: it expires
    clock.now += 12.0  # 13 s after the announcement
    here.watching()
    await settle()
    assert here.watching()
    clock.now += 3.0  # 16 s
    here.watching()
    await settle()
    assert not here.watching()
    await here.aclose()
    await there.aclose()


async def test_viewers_are_announced_again_while_connected(
    redis_like: None, server: FakeServer, clock: FakeClock
) -> None:
    there = worker(server, clock, announce_interval=0.01, ttl=15.0)
    there.joined("ws.remote")
    await settle()
    first = server.store[presence_key("")]
    clock.now += 5.0
    await asyncio.sleep(0.05)
    assert server.store[presence_key("")] == first + 5.0  # refreshed
    there.left("ws.remote")
    await settle()
    clock.now += 5.0
    await asyncio.sleep(0.05)
    assert server.store[presence_key("")] == first + 5.0  # no longer
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "activity-audience-announce"]
    await there.aclose()


async def test_a_stale_answer_counts_as_watching(
    redis_like: None, server: FakeServer, clock: FakeClock
) -> None:
    audience = worker(server, clock, poll_interval=1.0, stale_after=3.0)
    await audience.refresh()
    clock.now += 2.9
    assert not audience.watching()  # starts a read, answers from the last one
    server.go_down()  # that read fails: the answer ages
    await settle()
    clock.now += 0.2
    assert audience.watching()  # 3.1 s old: not trusted
    await audience.aclose()


async def test_redis_down_counts_as_watching_and_is_logged_once(
    redis_like: None, server: FakeServer, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="activity.audience")
    audience = worker(server, clock)
    await audience.refresh()
    server.go_down()
    for _ in range(3):
        assert await audience.refresh()
    audience.joined("ws.1")  # announcing fails too; the viewer still counts here
    await settle()
    audience.left("ws.1")
    server.go_down(False)
    assert not await audience.refresh()
    messages = [r.getMessage() for r in caplog.records if r.name == "activity.audience"]
    assert len(messages) == 2
    assert "read failed" in messages[0] and "simulated" in messages[0]
    assert "answers again" in messages[1]
    await audience.aclose()


async def test_the_key_is_namespaced_by_the_layer_prefix(
    settings: Any, server: FakeServer, clock: FakeClock
) -> None:
    settings.REDIS_URL = "redis://fake"
    settings.CHANNEL_LAYERS = layer_settings("tests.activity.live.layers.OpaqueLayer")
    get_channel_layer().prefix = "gateway-b"
    there = worker(server, clock)
    there.joined("ws.remote")
    await settle()
    assert list(server.store) == [presence_key("gateway-b")]
    there.left("ws.remote")
    await there.aclose()


async def test_aclose_stops_the_tasks_and_closes_the_client(
    redis_like: None, server: FakeServer, clock: FakeClock
) -> None:
    audience = worker(server, clock, announce_interval=60)
    audience.joined("ws.1")
    audience.watching()
    await settle()
    await audience.aclose()
    names = {t.get_name() for t in asyncio.all_tasks()}
    assert not names & {"activity-audience-announce", "activity-audience-poll"}
    assert server.clients and all(client.closed for client in server.clients)
