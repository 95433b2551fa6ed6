"""Live activity as Server-Sent Events (`/activity/stream`), for scripts and curl.

`live_event_stream()` is an async generator: it joins the channel-layer group `activity` on a
channel of its own (and registers as a viewer with `activity.audience`, so the broadcast tap
sends), yields each live event as an SSE frame

    event: transaction.finished
    data: {"type": "transaction.finished", "id": "…", …}

and a comment line (`: heartbeat`) whenever nothing happened for `HEARTBEAT_S` seconds, so
proxies keep the connection open and the server notices a vanished client. Django cancels the
response when the client leaves; the `finally` block leaves the group and the audience.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from channels.layers import get_channel_layer

from activity.audience import audience
from activity.live_events import GROUP

logger = logging.getLogger("activity.sse")

HEARTBEAT_S = 15.0
RETRY_MS = 3000


def sse_frame(event: dict[str, Any]) -> bytes:
    """One event as an SSE frame named by its `type` (JSON is one line: no newlines inside)."""
    name = str(event.get("type") or "message").replace("\n", " ").replace("\r", " ")
    data = orjson.dumps(event, default=str)
    return b"event: " + name.encode() + b"\ndata: " + data + b"\n\n"


async def live_event_stream(
    *, heartbeat: float | None = None, layer_alias: str = "default"
) -> AsyncIterator[bytes]:
    """SSE bytes of every live event from now on; ends only when the consumer stops."""
    interval = HEARTBEAT_S if heartbeat is None else heartbeat
    layer = get_channel_layer(layer_alias)
    if layer is None:
        yield b": live activity is not configured (no channel layer)\n\n"
        return
    channel = await layer.new_channel()
    await layer.group_add(GROUP, channel)
    audience().joined(channel)
    receiving: asyncio.Future[dict[str, Any]] | None = None
    try:
        yield f"retry: {RETRY_MS}\n: connected\n\n".encode()
        while True:
            if receiving is None:
                receiving = asyncio.ensure_future(layer.receive(channel))
            done, _ = await asyncio.wait({receiving}, timeout=interval)
            if not done:
                await layer.group_add(GROUP, channel)  # refresh the membership (it expires)
                yield b": heartbeat\n\n"
                continue
            message, receiving = receiving.result(), None
            event = message.get("event")
            if isinstance(event, dict):
                yield sse_frame(event)
    finally:
        audience().left(channel)
        if receiving is not None:
            receiving.cancel()
        try:
            await layer.group_discard(GROUP, channel)
        except Exception:  # the layer may be down; membership expires by itself
            logger.debug("leaving the activity group failed", exc_info=True)
