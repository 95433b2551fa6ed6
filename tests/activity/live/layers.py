"""Channel layers that misbehave, to prove the broadcast tap never slows or breaks the proxy,
and one the audience cannot look into."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.layers import BaseChannelLayer, InMemoryChannelLayer


class HangingLayer(InMemoryChannelLayer):
    """A layer whose `group_send` never returns (a stalled Redis)."""

    sends = 0

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        type(self).sends += 1
        await asyncio.Event().wait()


class FailingLayer(InMemoryChannelLayer):
    """A layer whose `group_send` always raises (Redis down)."""

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        raise ConnectionError("channel layer is down (simulated)")


class RecordingLayer(InMemoryChannelLayer):
    """An in-memory layer that also keeps every group message it was given."""

    sent: list[tuple[str, dict[str, Any]]] = []

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        type(self).sent.append((group, message))
        await super().group_send(group, message)


class OpaqueLayer(BaseChannelLayer):
    """A layer of a kind the audience cannot look into (neither in-memory nor Redis)."""
