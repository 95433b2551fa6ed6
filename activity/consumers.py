"""WebSocket consumer of the live monitor (`ws/activity/`): staff only, forwards live events.

Thin on purpose: it checks the user, joins the group `activity` and registers as a viewer
with `activity.audience` (so the broadcast tap knows someone watches), and has one handler per
channel message type (`activity.started`, `activity.decision`, `activity.finished`), each
sending the event (see `activity.live_events`) to the browser as JSON. It ignores what the
browser sends.

A refused connection is accepted and then closed with code 4403, so the page can tell "not
allowed" (stop and ask to log in) from a network failure (reconnect).
"""

from __future__ import annotations

from typing import Any

import orjson
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from activity.api import may_watch
from activity.audience import audience
from activity.live_events import GROUP

FORBIDDEN = 4403


class ActivityConsumer(AsyncJsonWebsocketConsumer):
    """Streams live activity events to one staff browser."""

    async def connect(self) -> None:
        """Accept staff and join the group; refuse everyone else with 4403."""
        if not may_watch(self.scope.get("user")):
            await self.accept()
            await self.close(code=FORBIDDEN)
            return
        await self.channel_layer.group_add(GROUP, self.channel_name)
        audience().joined(self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        """Leave the group."""
        audience().left(self.channel_name)
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        """The browser has nothing to say: anything it sends is ignored (not even decoded)."""

    async def activity_started(self, message: dict[str, Any]) -> None:
        """A transaction started."""
        await self.send_json(message["event"])

    async def activity_decision(self, message: dict[str, Any]) -> None:
        """A policy decided something."""
        await self.send_json(message["event"])

    async def activity_finished(self, message: dict[str, Any]) -> None:
        """A transaction ended."""
        await self.send_json(message["event"])

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        """orjson (unknown objects as strings)."""
        return orjson.dumps(content, default=str).decode()
