"""The streaming stages, each a small async generator; `pipeline` composes them.

    upstream bytes → read_upstream → decode_events (SSE + codec) → record_events (tap)
                   → apply_policy (policies.engine) → record_events (tap) → encode_events → bytes

A batch is whatever arrived together: stages pass lists of events so work is per read, not per
chunk. Every stage releases what it holds in `finally` and consumes its source with `aclosing`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from contextlib import aclosing

import httpx
from django.conf import settings

from gateway.timing import RequestClock
from gateway.upstream_call import map_transport_error
from wire.codecs.base import StreamDecoder, StreamEncoder
from wire.errors import UpstreamFailure, UpstreamTimeout, UpstreamUnavailable
from wire.neutral import Event, StreamError, WireFormat
from wire.sse import SSEDecoder, SSEEvent


async def read_upstream(
    response: httpx.Response, upstream: str, clock: RequestClock
) -> AsyncGenerator[bytes, None]:
    """Raw bytes from the upstream as they arrive; time spent waiting goes on the clock.

    The whole call is bounded by `LUTHIEN_UPSTREAM_TOTAL_TIMEOUT_S` (checked as chunks arrive;
    silence is bounded by the read timeout)."""
    chunks = response.aiter_raw()
    deadline = clock.started + settings.LUTHIEN_UPSTREAM_TOTAL_TIMEOUT_S
    try:
        while True:
            waited = time.perf_counter()
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                return
            except httpx.HTTPError as error:
                raise map_transport_error(error, upstream, mid_response=True) from error
            finally:
                clock.upstream_wait += time.perf_counter() - waited
            if time.perf_counter() > deadline:
                raise UpstreamTimeout(f"upstream {upstream!r} exceeded the total time limit")
            yield chunk
    finally:
        await response.aclose()


async def decode_events(
    chunks: AsyncGenerator[bytes, None], decoder: StreamDecoder, client_format: WireFormat
) -> AsyncGenerator[list[Event], None]:
    """SSE bytes → neutral event batches. An upstream failure mid-stream, or a stream that ends
    without its terminator (`[DONE]` / `message_stop` / `response.completed`…), becomes a
    StreamError: a cut-off answer is never passed off as complete."""
    sse = SSEDecoder()
    complete = False
    async with aclosing(chunks) as source:
        try:
            async for chunk in source:
                frames = sse.feed(chunk)
                if frames and not complete:
                    complete = any(_is_terminator(frame) for frame in frames)
                events = decoder.feed(frames)
                if events:
                    yield events
        except UpstreamFailure as error:
            yield [StreamError(error.http_status(), error.type_for(client_format), error.message)]
            return
    tail = decoder.feed(sse.flush())
    if not complete and not any(isinstance(event, StreamError) for event in tail):
        cut = UpstreamUnavailable("the upstream ended the stream before it was complete")
        yield [*tail, StreamError(502, cut.type_for(client_format), cut.message)]
        return
    tail += decoder.finish()
    if tail:
        yield tail


_RESPONSES_END = ("response.completed", "response.incomplete", "response.failed")
_RESPONSES_END_DATA = tuple(f'{{"type":"{name}"' for name in _RESPONSES_END)


def _is_terminator(frame: SSEEvent) -> bool:
    """`[DONE]` (Chat Completions), `message_stop` (Messages), a Responses terminal event, or
    an error event (also recognised by its data when the upstream sends no event names)."""
    if frame.data == "[DONE]" or frame.event in ("message_stop", "error", *_RESPONSES_END):
        return True
    return frame.event is None and frame.data.startswith(_RESPONSES_END_DATA)


async def record_events(
    batches: AsyncGenerator[list[Event], None], sink: list[Event]
) -> AsyncGenerator[list[Event], None]:
    """Side tap: keeps references to every event for the recorder (never copies, never waits)."""
    async with aclosing(batches) as source:
        async for batch in source:
            sink.extend(batch)
            yield batch


async def encode_events(
    batches: AsyncGenerator[list[Event], None],
    encoder: StreamEncoder,
    clock: RequestClock,
) -> AsyncGenerator[bytes, None]:
    """Neutral batches → the client's SSE bytes, always closed with the format's terminator."""
    async with aclosing(batches) as source:
        async for batch in source:
            data = encoder.encode(batch)
            if data:
                if clock.first_byte is None:
                    clock.first_byte = time.perf_counter()
                waited = time.perf_counter()
                yield data
                clock.client_wait += time.perf_counter() - waited
    tail = encoder.finish()
    if tail:
        yield tail
