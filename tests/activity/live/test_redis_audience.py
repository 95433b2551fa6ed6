"""The shared presence on a real Redis (skipped without REDIS_URL unless
LUTHIEN_REQUIRE_SERVICES=1): two audiences stand for two worker processes; each test has its
own layer prefix, hence its own presence key."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import redis

from activity.audience import Audience, SharedPresence, presence_key
from tests.activity.live.conftest import eventually


def worker(**timing: float) -> Audience:
    """The audience of one worker process, with the given presence timings."""
    return Audience(shared_presence=functools.partial(SharedPresence, **timing))


async def test_a_viewer_is_seen_by_every_worker_until_it_expires(
    redis_layer: dict[str, Any], redis_url: str
) -> None:
    here, there = worker(), worker(ttl=0.5, announce_interval=0.1)
    try:
        assert not await here.refresh()
        there.joined("ws.remote")
        assert await eventually(here.refresh)
        client = redis.Redis.from_url(redis_url)
        ttl_ms = client.pttl(presence_key(redis_layer["prefix"]))
        client.close()
        assert 0 < ttl_ms <= 500
        await asyncio.sleep(0.6)  # announced again meanwhile: still there
        assert await here.refresh()
        there.left("ws.remote")
        assert await eventually(here.refresh, expected=False)  # the key expired (TTL above)
    finally:
        await here.aclose()
        await there.aclose()


async def test_the_hot_path_answers_from_background_reads(redis_layer: dict[str, Any]) -> None:
    here, there = worker(poll_interval=0.2), worker()
    try:
        assert here.watching()  # unknown: assumed, and a read starts in the background
        assert await eventually(here.watching, expected=False)
        there.joined("ws.remote")
        assert await eventually(here.watching, within=2.0)  # seen by a later read
        there.left("ws.remote")
    finally:
        await here.aclose()
        await there.aclose()
