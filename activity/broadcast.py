"""Live broadcast tap: lifecycle events of transactions to the Channels group `activity`.

The pipeline calls `broadcaster().started/decision/finished` (through `activity.taps`) on the
client's path, so each call only builds a small typed event (`activity.live_events`) and puts it
into a bounded per-event-loop `asyncio.Queue` with `put_nowait`. A sender task per event loop
drains that queue (started when an event arrives, gone when the queue is empty) and
`group_send`s each event with a short timeout.

Best effort, never in the way:

- broadcast off (`LUTHIEN_BROADCAST=false`)          nothing happens
- no running event loop (sync code, tests)         the event is skipped and counted
- nobody watching (`activity.audience`)            the event is not even built; counted as
                                                   `unwatched`
- queue full (slow or absent layer)                the event is dropped and counted
- layer error or timeout                           counted, logged at most once a minute, and the
                                                   sender backs off a little (the queue absorbs)

Counts are in `Broadcaster.stats()` and the Prometheus counter `luthien_broadcast_events_total`.
The layer is Redis when `REDIS_URL` is set, in-memory otherwise (see settings), so events from
every worker reach every viewer with Redis.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from dataclasses import asdict, dataclass, fields

from channels.layers import get_channel_layer
from django.conf import settings
from prometheus_client import Counter

from activity.audience import Audience
from activity.audience import audience as process_audience
from activity.live_events import (
    GROUP,
    LiveEvent,
    PolicyDecision,
    TransactionFinished,
    TransactionStarted,
)
from gateway.transaction_record import TransactionRecord
from policies.context import Decision
from wire.process_wide import Service

logger = logging.getLogger("activity.broadcast")

EVENTS = Counter(
    "luthien_broadcast_events_total",
    "Live activity events by outcome (sent, dropped, error, skipped, unwatched)",
    ["outcome"],
)
SEND_TIMEOUT_S = 1.0
LOG_INTERVAL_S = 60.0
BACKOFF_MAX_S = 2.0
_LABELS = {"errors": "error"}


@dataclass(slots=True)
class BroadcastStats:
    """What happened to the events of this process."""

    sent: int = 0
    dropped: int = 0
    errors: int = 0
    skipped: int = 0
    unwatched: int = 0


# One labelled child per outcome, resolved once (counting `unwatched` is on the hot path).
_CHILDREN = {
    outcome: EVENTS.labels(outcome=_LABELS.get(outcome, outcome))
    for outcome in (field.name for field in fields(BroadcastStats))
}


class _Pump:
    """The queue of one event loop and the task draining it."""

    __slots__ = ("loop", "queue", "task")

    def __init__(self, size: int, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[LiveEvent] = asyncio.Queue(maxsize=size)
        self.task: asyncio.Task[None] | None = None


class Broadcaster:
    """Publishes live events; every public method returns at once and never raises."""

    def __init__(
        self,
        *,
        queue_size: int = 1000,
        send_timeout: float = SEND_TIMEOUT_S,
        layer_alias: str = "default",
        audience: Audience | None = None,
    ) -> None:
        self.queue_size = max(1, queue_size)
        self._audience = audience  # None: the process's audience, looked up on each event
        self.send_timeout = send_timeout
        self.layer_alias = layer_alias
        self._stats = BroadcastStats()
        self._pumps: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Pump] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()
        self._last_log = 0.0
        self._unlogged = 0

    @classmethod
    def from_settings(cls) -> Broadcaster:
        """A broadcaster sized by `LUTHIEN_BROADCAST_QUEUE_SIZE`."""
        return cls(queue_size=settings.LUTHIEN_BROADCAST_QUEUE_SIZE)

    # --- the taps (hot path) -------------------------------------------------------------------

    def started(self, record: TransactionRecord) -> None:
        """A transaction started."""
        pump = self._pump()
        if pump is not None:
            self._put(pump, TransactionStarted.from_record(record))

    def decision(self, record: TransactionRecord, decision: Decision) -> None:
        """A policy decided something."""
        pump = self._pump()
        if pump is not None:
            self._put(pump, PolicyDecision.from_decision(record, decision))

    def finished(self, record: TransactionRecord) -> None:
        """A transaction ended."""
        pump = self._pump()
        if pump is not None:
            self._put(pump, TransactionFinished.from_record(record))

    def stats(self) -> dict[str, int]:
        """Counts of sent, dropped, failed, skipped and unwatched events."""
        return asdict(self._stats)

    async def drain(self, wait_s: float = 5.0) -> bool:
        """Wait until this loop's queue is sent (tests, shutdown); whether it emptied in time."""
        pump = self._pumps.get(asyncio.get_running_loop())
        if pump is None:
            return True
        try:
            async with asyncio.timeout(wait_s):
                await pump.queue.join()
        except TimeoutError:
            return False
        return True

    async def aclose(self) -> None:
        """Stop this loop's sender task (pending events are discarded)."""
        pump = self._pumps.pop(asyncio.get_running_loop(), None)
        if pump is not None and pump.task is not None:
            pump.task.cancel()
            await asyncio.gather(pump.task, return_exceptions=True)

    # --- internals -----------------------------------------------------------------------------

    def _pump(self) -> _Pump | None:
        """This loop's pump, or None when broadcasting is off, there is no running loop or
        nobody watches."""
        if not settings.LUTHIEN_BROADCAST:
            return None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._count("skipped")
            return None
        if not (self._audience or process_audience()).watching():
            self._count("unwatched")
            return None
        pump = self._pumps.get(loop)
        if pump is None or pump.loop is not loop:
            with self._lock:
                pump = self._pumps[loop] = _Pump(self.queue_size, loop)
        return pump

    def _put(self, pump: _Pump, event: LiveEvent) -> None:
        try:
            pump.queue.put_nowait(event)
        except asyncio.QueueFull:
            self._count("dropped")
            return
        if pump.task is None or pump.task.done():
            pump.task = pump.loop.create_task(self._send_all(pump.queue), name="activity-broadcast")

    async def _send_all(self, queue: asyncio.Queue[LiveEvent]) -> None:
        """The sender: drains the queue one event at a time (timeout, small backoff on errors)
        and exits when it is empty, so no task lingers on an idle or closing loop."""
        backoff = 0.0
        while not queue.empty():
            event = queue.get_nowait()
            try:
                if await self._send(event):
                    backoff = 0.0
                else:
                    backoff = min(max(backoff * 2, 0.05), BACKOFF_MAX_S)
                    await asyncio.sleep(backoff)
            finally:
                queue.task_done()

    async def _send(self, event: LiveEvent) -> bool:
        try:
            layer = get_channel_layer(self.layer_alias)
            if layer is None:
                self._count("skipped")
                return True
            async with asyncio.timeout(self.send_timeout):
                await layer.group_send(GROUP, event.as_message())
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self._count("errors")
            self._log_failure(error)
            return False
        self._count("sent")
        return True

    def _count(self, outcome: str) -> None:
        setattr(self._stats, outcome, getattr(self._stats, outcome) + 1)
        _CHILDREN[outcome].inc()

    def _log_failure(self, error: BaseException) -> None:
        """Log a layer failure, at most once per `LOG_INTERVAL_S` (with the count since)."""
        now = time.monotonic()
        self._unlogged += 1
        if self._last_log and now - self._last_log < LOG_INTERVAL_S:
            return
        logger.warning(
            "live broadcast failed %d time(s) since the last report: %r", self._unlogged, error
        )
        self._last_log, self._unlogged = now, 0


_BROADCASTER = Service("broadcaster", Broadcaster.from_settings, close=Broadcaster.aclose)


def broadcaster() -> Broadcaster:
    """The process's broadcaster, created from settings on first use."""
    return _BROADCASTER.get()


def reset_broadcaster() -> None:
    """Forget the current broadcaster (tests; settings changes): the next call makes a new one.
    Sender tasks of the old one end with their event loops."""
    _BROADCASTER.reset()
