"""Turn a list of rendered SSE events into a paced async byte stream.

`paced` sleeps `delay_ms` between events and, with `abort_after=N`, sends at most N events and
never the last one (the stream's terminator), then raises `MockAbort` so the server drops the
connection: the client sees a stream that stops without ending.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from wire.mock.errors import MockAbort


async def paced(
    events: Sequence[bytes], *, delay_ms: float = 0.0, abort_after: int | None = None
) -> AsyncIterator[bytes]:
    """Yield each event, sleeping `delay_ms` between two events; abort as described above."""
    limit = len(events) if abort_after is None else min(abort_after, len(events) - 1)
    delay = delay_ms / 1000
    for index, event in enumerate(events[:limit]):
        if index and delay:
            await asyncio.sleep(delay)
        yield event
    if limit < len(events):
        if delay:
            await asyncio.sleep(delay)
        raise MockAbort(f"connection dropped after {limit} events")


async def truncated(body: bytes) -> AsyncIterator[bytes]:
    """A non-streaming body cut in half, then a dropped connection."""
    yield body[: len(body) // 2]
    raise MockAbort("connection dropped mid-body")
