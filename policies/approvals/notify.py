"""Decision notifications over the channel layer: one group per pending approval.

The worker holding a call listens on its own channel, added to the approval's group; the worker
that decides sends to the group. Redis in production reaches every worker on every host; the
in-memory layer reaches the same process. Notifications are best-effort: if the layer fails,
the waiting call still finds the decision by re-reading its row.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from types import TracebackType
from typing import Any

from channels.layers import get_channel_layer

logger = logging.getLogger("policies.approvals")

GROUP_PREFIX = "luthien.approval."


def approval_group(approval_id: uuid.UUID) -> str:
    """The channel-layer group of one approval."""
    return f"{GROUP_PREFIX}{approval_id.hex}"


async def approval_notify(approval_id: uuid.UUID) -> None:
    """Tell the worker holding this approval's call that it was decided (best-effort)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(
            approval_group(approval_id), {"type": "approval.decided", "id": approval_id.hex}
        )
    except Exception:  # the waiting call re-reads its row anyway
        logger.warning("could not announce the decision of approval %s", approval_id, exc_info=True)


class DecisionListener:
    """`async with DecisionListener(id) as listener: await listener.wait(seconds)`: wakes when
    the approval's group gets a message, or after `seconds`. Joins the group on enter (before
    the first read of the row, so no decision falls between) and leaves it on exit.

    The layer's `receive` runs as its own task and is never cancelled: a waiter that times out
    or is cancelled only stops waiting for it, and on exit the listener sends its own channel a
    message so the pending receive completes. (Cancelling a channels_redis receive in the middle
    of its blocking Redis read can be lost inside the client, leaving the read running.)
    """

    def __init__(self, approval_id: uuid.UUID) -> None:
        self.group = approval_group(approval_id)
        self.layer: Any = get_channel_layer()
        self.channel: str | None = None
        self._receiving: asyncio.Future[Any] | None = None

    async def __aenter__(self) -> DecisionListener:
        if self.layer is not None:
            try:
                channel = await self.layer.new_channel()
                await self.layer.group_add(self.group, channel)
                self.channel = channel
            except Exception:
                logger.warning("approval notifications unavailable; polling", exc_info=True)
        return self

    async def wait(self, seconds: float) -> bool:
        """True when a notification arrived, False after `seconds` without one."""
        if self.channel is None:
            await asyncio.sleep(seconds)  # no layer: the caller's poll interval
            return False
        if self._receiving is None:
            self._receiving = _keep(asyncio.ensure_future(self.layer.receive(self.channel)))
        done, _ = await asyncio.wait({self._receiving}, timeout=seconds)
        if not done:
            return False
        received, self._receiving = self._receiving, None
        if received.exception() is not None:
            logger.warning("approval notification failed; polling", exc_info=received.exception())
            self.channel = None
            return False
        return True

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.channel is None:
            return
        try:
            await self.layer.group_discard(self.group, self.channel)
            if self._receiving is not None and not self._receiving.done():
                await self.layer.send(self.channel, {"type": "approval.stop"})
        except Exception:
            logger.debug("could not leave %s", self.group, exc_info=True)


_receivers: set[asyncio.Future[Any]] = set()


def _keep(task: asyncio.Future[Any]) -> asyncio.Future[Any]:
    """Hold a reference to a receive task until it ends (its failure is read, not raised)."""
    _receivers.add(task)
    task.add_done_callback(_received)
    return task


def _received(task: asyncio.Future[Any]) -> None:
    _receivers.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: a failed receive is handled by the waiter or not at all
