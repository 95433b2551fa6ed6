"""The live monitor's WebSocket: staff get events of real proxied requests; others are refused."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from activity.audience import audience
from activity.consumers import FORBIDDEN, ActivityConsumer
from luthien_site.asgi import application
from tests.activity.live.conftest import UserFactory, session_cookie
from tests.gateway.integration.conftest import Proxy, read_stream

USER = [{"role": "user", "content": "hello there"}]
ORIGIN = (b"origin", b"http://127.0.0.1")


async def events_of(communicator: WebsocketCommunicator, tx_id: str) -> list[dict[str, Any]]:
    """Events of one transaction, up to its `transaction.finished` (others are skipped)."""
    events = []
    while True:
        event = await communicator.receive_json_from(timeout=5)
        if event["id"] == tx_id:
            events.append(event)
            if event["type"] == "transaction.finished":
                return events


def through_site(cookie: str = "", origin: tuple[bytes, bytes] = ORIGIN) -> WebsocketCommunicator:
    """A communicator against the real ASGI application (origin check, session auth, route)."""
    headers = [origin, (b"host", b"127.0.0.1")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, "/ws/activity/", headers=headers)


async def assert_refused(communicator: WebsocketCommunicator) -> None:
    connected, _ = await communicator.connect()
    assert connected  # accepted only to say why: closed at once with 4403
    closing = await communicator.receive_output(timeout=2)
    assert closing == {"type": "websocket.close", "code": FORBIDDEN}
    await communicator.wait()
    assert audience().viewers == 0


async def test_staff_receives_events_of_a_proxied_request(proxy: Proxy, staff_user: Any) -> None:
    communicator = WebsocketCommunicator(ActivityConsumer.as_asgi(), "/ws/activity/")
    communicator.scope["user"] = staff_user
    connected, _ = await communicator.connect()
    assert connected
    assert audience().viewers == 1  # so the broadcast tap knows someone watches
    response = await proxy.openai({"model": "mock/echo", "messages": USER})
    assert response.status_code == 200
    events = await events_of(communicator, response["x-luthien-transaction-id"])
    assert [e["type"] for e in events] == ["transaction.started", "transaction.finished"]
    assert events[0]["model"] == "mock/echo" and events[0]["key"] == "live-client"
    assert events[1]["status"] == "completed"
    assert events[1]["preview"] == "You said: hello there"
    await communicator.disconnect()
    assert audience().viewers == 0


async def test_staff_session_through_the_site(proxy: Proxy, staff_user: Any) -> None:
    communicator = through_site(await session_cookie(staff_user))
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(text_data="this is not JSON")  # ignored
    response = await proxy.openai({"model": "mock/echo", "messages": USER, "stream": True})
    await read_stream(response)
    events = await events_of(communicator, response["x-luthien-transaction-id"])
    assert events[0]["type"] == "transaction.started" and events[0]["stream"] is True
    assert events[-1]["status"] == "completed"
    await communicator.disconnect()


async def test_anonymous_is_refused(transactional_db: None) -> None:
    await assert_refused(through_site())


async def test_non_staff_is_refused(make_user: UserFactory) -> None:
    visitor = await sync_to_async(make_user)("visitor")
    await assert_refused(through_site(await session_cookie(visitor)))


async def test_inactive_staff_is_refused(make_user: UserFactory) -> None:
    communicator = WebsocketCommunicator(ActivityConsumer.as_asgi(), "/ws/activity/")
    user = await sync_to_async(make_user)("former", staff=True)
    user.is_active = False
    communicator.scope["user"] = user
    await assert_refused(communicator)


async def test_foreign_origin_is_rejected(staff_user: Any) -> None:
    cookie = await session_cookie(staff_user)
    communicator = through_site(cookie, origin=(b"origin", b"http://evil.example"))
    connected, _ = await communicator.connect()
    assert not connected


@pytest.mark.parametrize("kind", ["started", "decision", "finished"])
async def test_one_handler_per_message_type(staff_user: Any, kind: str) -> None:
    communicator = WebsocketCommunicator(ActivityConsumer.as_asgi(), "/ws/activity/")
    communicator.scope["user"] = staff_user
    await communicator.connect()
    from channels.layers import get_channel_layer

    event = {"type": f"transaction.{kind}", "id": "x" * 32, "reason": "<script>"}
    await get_channel_layer().group_send("activity", {"type": f"activity.{kind}", "event": event})
    assert await communicator.receive_json_from(timeout=2) == event
    await communicator.disconnect()
