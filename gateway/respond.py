"""The three ways a call is answered: a complete JSON response, an SSE stream, or the
gateway's own reply (refusals). All run the same policy engine over the same events."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from contextlib import aclosing

import httpx
import orjson

from gateway.exchange import CLIENT_CLOSED, Exchange
from gateway.proxy_response import ProxyResponse, json_response, stream_response
from gateway.stages import (
    decode_events,
    encode_events,
    read_upstream,
    record_events,
    translate_events,
)
from policies.engine import apply_policy
from policies.engine.blocks import block_events
from wire.errors import GatewayError, UpstreamUnavailable
from wire.neutral import (
    END_TURN,
    FAILED,
    Event,
    MessageEnd,
    MessageStart,
    StreamError,
    TextBlock,
    Usage,
)

logger = logging.getLogger("gateway.respond")


async def _one_batch(events: list[Event]) -> AsyncGenerator[list[Event], None]:
    yield events


async def respond_complete(
    exchange: Exchange, raw: bytes, extra_headers: dict[str, str]
) -> ProxyResponse:
    """Non-streaming: the upstream body becomes events and runs through the same engine."""
    assert exchange.policy is not None and exchange.ctx is not None
    try:
        upstream_json = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise UpstreamUnavailable("upstream sent a response that is not JSON") from error
    exchange.record.response_original = raw
    events = exchange.upstream_codec.decode_response(upstream_json)
    if exchange.translation is not None:
        events = exchange.translation.events().feed(events)
    out: list[Event] = []
    async for batch in apply_policy(exchange.policy, exchange.ctx, _one_batch(events)):
        out.extend(batch)
    body = exchange.codec.encode_response(out)
    exchange.record.response_final = body
    exchange.note_usage(out)
    exchange.finish(status=exchange.outcome())
    return json_response(body, exchange.record.id, exchange.record.overhead_ms, extra_headers)


def respond_stream(
    exchange: Exchange, response: httpx.Response, extra_headers: dict[str, str]
) -> ProxyResponse:
    """Streaming: the composed stages, with the record finished whatever happens."""
    return stream_response(_stream_body(exchange, response), exchange.record.id, extra_headers)


async def _stream_body(exchange: Exchange, response: httpx.Response) -> AsyncGenerator[bytes, None]:
    assert exchange.policy is not None and exchange.ctx is not None
    assert exchange.route is not None and exchange.request is not None
    original: list[Event] = []
    final: list[Event] = []
    record = exchange.record
    record.response_events_original, record.response_events_final = original, final
    chunks = read_upstream(response, exchange.route.upstream.name, exchange.clock)
    decoded = decode_events(chunks, exchange.upstream_codec.stream_decoder(), exchange.fmt)
    if exchange.translation is not None:
        decoded = translate_events(decoded, exchange.translation.events())
    checked = apply_policy(exchange.policy, exchange.ctx, record_events(decoded, original))
    encoder = exchange.codec.stream_encoder(exchange.request)
    status = "cancelled"
    try:
        stream = encode_events(record_events(checked, final), encoder, exchange.clock)
        async with aclosing(stream):
            async for data in stream:
                yield data
        last = final[-1] if final else None
        if isinstance(last, StreamError):
            status = "upstream_error"
            record.error = record.error or last.message  # what the client was told
        elif isinstance(last, MessageEnd) and last.stop_reason == FAILED:
            status = "upstream_error"
            record.error = record.error or "the upstream reported the response failed"
        else:
            status = exchange.outcome()
    except Exception as error:  # a bug: end the stream cleanly with an error event, record it
        logger.exception("unhandled error while streaming")
        status = "policy_error"
        failure = GatewayError(f"internal error in the gateway ({type(error).__name__})")
        record.error = failure.message
        notice = StreamError(500, failure.type_for(exchange.fmt), failure.message)
        yield encoder.encode([notice]) + encoder.finish()
    finally:
        exchange.note_usage(final)
        http_status = CLIENT_CLOSED if status == "cancelled" else 200
        exchange.finish(status=status, http_status=http_status, error=record.error)


def respond_reply(exchange: Exchange, message: str, status: str) -> ProxyResponse:
    """Answer with `message` as the assistant's reply, without calling the upstream."""
    assert exchange.request is not None
    request, record = exchange.request, exchange.record
    events = reply_events(record.id, request.model, message)
    record.response_events_final = events
    if request.stream:
        encoder = exchange.codec.stream_encoder(request)

        async def body() -> AsyncGenerator[bytes, None]:
            try:
                yield encoder.encode(events) + encoder.finish()
            finally:
                exchange.finish(status=status)

        return stream_response(body(), record.id, {})
    payload = exchange.codec.encode_response(events)
    record.response_final = payload
    exchange.finish(status=status)
    return json_response(payload, record.id, record.overhead_ms, {})


def reply_events(transaction_id: str, model: str, text: str) -> list[Event]:
    """A complete one-text-block response saying `text`."""
    return [
        MessageStart(id=f"msg_{transaction_id}", model=model, usage=Usage(0, 0)),
        *block_events(0, TextBlock(text=text)),
        MessageEnd(stop_reason=END_TURN, usage=Usage(0, 0)),
    ]
