"""`/activity/stream`: live events as SSE for staff sessions and the admin key; heartbeats;
the group membership is released when the client goes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from channels.layers import get_channel_layer
from django.test import AsyncClient

from activity import sse
from activity.audience import audience
from activity.live_events import GROUP
from tests.activity.live.conftest import UserFactory
from tests.gateway.integration.conftest import Proxy

USER = [{"role": "user", "content": "hello there"}]
ADMIN_KEY = "adm-" + "k" * 40


class Frames:
    """Reads SSE frames (`event:`/`data:` blocks and comments) from a byte stream."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self.chunks = chunks
        self.buffer = b""

    async def next(self, wait_s: float = 5.0) -> bytes:
        while b"\n\n" not in self.buffer:
            async with asyncio.timeout(wait_s):
                self.buffer += await anext(self.chunks)
        frame, self.buffer = self.buffer.split(b"\n\n", 1)
        return frame

    async def events_of(self, tx_id: str) -> list[tuple[str, dict[str, Any]]]:
        """(event name, data) of one transaction up to its finish."""
        found = []
        while True:
            lines = dict(
                line.split(b": ", 1)
                for line in (await self.next()).split(b"\n")
                if line and not line.startswith(b":") and b": " in line
            )
            if b"data" not in lines:
                continue
            data = orjson.loads(lines[b"data"])
            if data["id"] == tx_id:
                found.append((lines[b"event"].decode(), data))
                if data["type"] == "transaction.finished":
                    return found


async def open_stream(client: AsyncClient, **headers: str) -> tuple[Any, Frames]:
    response = await client.get("/activity/stream", headers=headers)
    assert response.status_code == 200
    assert response["content-type"] == "text/event-stream"
    assert response["cache-control"] == "no-cache"
    frames = Frames(response.streaming_content)
    assert (await frames.next()).endswith(b": connected")  # now in the group
    return response, frames


async def test_staff_session_gets_events(proxy: Proxy, staff_user: Any) -> None:
    client = AsyncClient()
    await client.aforce_login(staff_user)
    _, frames = await open_stream(client)
    response = await proxy.openai({"model": "mock/echo", "messages": USER})
    events = await frames.events_of(response["x-luthien-transaction-id"])
    assert [name for name, _ in events] == ["transaction.started", "transaction.finished"]
    assert events[1][1]["preview"] == "You said: hello there"
    await frames.chunks.aclose()


async def test_admin_key_gets_events(proxy: Proxy, settings: Any) -> None:
    settings.ADMIN_API_KEY = ADMIN_KEY
    _, frames = await open_stream(AsyncClient(), authorization=f"Bearer {ADMIN_KEY}")
    response = await proxy.anthropic({"model": "mock/echo", "max_tokens": 20, "messages": USER})
    events = await frames.events_of(response["x-luthien-transaction-id"])
    assert events[0][1]["client_format"] == "anthropic"
    assert events[-1][1]["status"] == "completed"
    await frames.chunks.aclose()


@pytest.mark.parametrize("authorization", ["", "Bearer wrong", f"Basic {ADMIN_KEY}", "Bearer "])
async def test_anonymous_and_wrong_keys_get_401(
    transactional_db: None, settings: Any, authorization: str
) -> None:
    settings.ADMIN_API_KEY = ADMIN_KEY
    headers = {"authorization": authorization} if authorization else {}
    response = await AsyncClient().get("/activity/stream", headers=headers)
    assert response.status_code == 401
    assert response["www-authenticate"].startswith("Bearer")


async def test_an_unset_admin_key_matches_nothing(transactional_db: None, settings: Any) -> None:
    settings.ADMIN_API_KEY = ""
    response = await AsyncClient().get("/activity/stream", headers={"authorization": "Bearer "})
    assert response.status_code == 401


async def test_non_staff_gets_403(make_user: UserFactory) -> None:
    from asgiref.sync import sync_to_async

    client = AsyncClient()
    await client.aforce_login(await sync_to_async(make_user)("visitor"))
    response = await client.get("/activity/stream")
    assert response.status_code == 403


async def test_heartbeat_comments_when_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sse, "HEARTBEAT_S", 0.05)
    stream = sse.live_event_stream()
    frames = Frames(stream)
    assert await frames.next() == b"retry: 3000\n: connected"
    assert await frames.next(wait_s=2) == b": heartbeat"
    assert await frames.next(wait_s=2) == b": heartbeat"
    await stream.aclose()


async def test_leaving_releases_the_group_membership() -> None:
    layer = get_channel_layer()
    stream = sse.live_event_stream(heartbeat=60)
    await anext(stream)
    assert len(layer.groups.get(GROUP, {})) == 1
    assert audience().viewers == 1
    await layer.group_send(
        GROUP, {"type": "activity.started", "event": {"type": "transaction.started", "id": "t1"}}
    )
    frame = await anext(stream)
    assert frame.startswith(b"event: transaction.started\ndata: {")
    await stream.aclose()
    assert not layer.groups.get(GROUP)
    assert audience().viewers == 0


async def test_a_cancelled_stream_leaves_the_group() -> None:
    """What Django does when the client disconnects: cancel the task reading the stream."""
    layer = get_channel_layer()
    stream = sse.live_event_stream(heartbeat=60)
    await anext(stream)
    reader = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.05)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    assert not layer.groups.get(GROUP)
    assert audience().viewers == 0


def test_frames_are_single_line_json() -> None:
    frame = sse.sse_frame({"type": "transaction.finished", "preview": "a\nb\r\n<script>"})
    name, data, end = frame.split(b"\n", 2)
    assert name == b"event: transaction.finished"
    assert orjson.loads(data.removeprefix(b"data: "))["preview"] == "a\nb\r\n<script>"
    assert end == b"\n"
