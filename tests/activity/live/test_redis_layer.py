"""The same live path over the Redis channel layer (skipped without REDIS_URL unless
LUTHIEN_REQUIRE_SERVICES=1). Each test uses its own key prefix, so runs sharing a Redis do not
see each other's events nor viewers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from channels_redis.core import RedisChannelLayer

from activity import sse
from activity.audience import Audience, audience
from activity.broadcast import broadcaster
from activity.consumers import ActivityConsumer
from activity.live_events import GROUP
from tests.activity.live.conftest import eventually
from tests.activity.live.test_consumer import events_of
from tests.activity.live.test_sse import Frames
from tests.gateway.integration.conftest import Proxy, read_stream

USER = [{"role": "user", "content": "hello there"}]


async def test_websocket_viewer_over_redis(
    proxy: Proxy, staff_user: Any, redis_layer: dict[str, Any]
) -> None:
    communicator = WebsocketCommunicator(ActivityConsumer.as_asgi(), "/ws/activity/")
    communicator.scope["user"] = staff_user
    connected, _ = await communicator.connect()
    assert connected
    response = await proxy.openai({"model": "mock/echo", "messages": USER, "stream": True})
    await read_stream(response)
    events = await events_of(communicator, response["x-luthien-transaction-id"])
    assert [e["type"] for e in events] == ["transaction.started", "transaction.finished"]
    assert events[-1]["preview"] == "You said: hello there"
    await communicator.disconnect()


async def test_a_viewer_on_another_worker_receives_events(
    proxy: Proxy, redis_layer: dict[str, Any]
) -> None:
    """A separate layer instance (as in another process) joined to the group, its viewer
    announced by that process's audience, gets the events once this worker has read the
    presence (in the background, at most a second later; here at once)."""
    other_worker = RedisChannelLayer(**redis_layer)
    other_audience = Audience()
    channel = await other_worker.new_channel()
    await other_worker.group_add(GROUP, channel)
    other_audience.joined(channel)
    try:
        assert await eventually(audience().refresh)  # the announcement is on its way
        response = await proxy.openai({"model": "mock/echo", "messages": USER})
        tx_id = response["x-luthien-transaction-id"]
        kinds = []
        while "activity.finished" not in kinds:
            message = await other_worker.receive(channel)
            if message["event"]["id"] == tx_id:
                kinds.append(message["type"])
        assert kinds == ["activity.started", "activity.finished"]
    finally:
        other_audience.left(channel)
        await other_audience.aclose()
        await other_worker.group_discard(GROUP, channel)
        await other_worker.close_pools()


async def test_nobody_watching_anywhere_sends_nothing(
    proxy: Proxy, redis_layer: dict[str, Any]
) -> None:
    """A group member that no audience announced (not a viewer) gets nothing: this worker
    read that nobody watches and only counts the events."""
    other_worker = RedisChannelLayer(**redis_layer)
    channel = await other_worker.new_channel()
    await other_worker.group_add(GROUP, channel)
    try:
        assert not await audience().refresh()
        response = await proxy.openai({"model": "mock/echo", "messages": USER})
        assert response.status_code == 200
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.5):
                await other_worker.receive(channel)
        stats = broadcaster().stats()
        assert (stats["unwatched"], stats["sent"]) == (2, 0)
    finally:
        await other_worker.group_discard(GROUP, channel)
        await other_worker.close_pools()


async def test_sse_over_redis(proxy: Proxy, redis_layer: dict[str, Any]) -> None:
    stream = sse.live_event_stream(heartbeat=60)
    frames = Frames(stream)
    await frames.next()
    response = await proxy.openai({"model": "mock/echo", "messages": USER})
    events = await frames.events_of(response["x-luthien-transaction-id"])
    assert [name for name, _ in events] == ["transaction.started", "transaction.finished"]
    await stream.aclose()
