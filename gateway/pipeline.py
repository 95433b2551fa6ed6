"""The proxy pipeline, top to bottom, for both wire formats, streaming and not.

    check size → authenticate → parse JSON → decode (client format) → route → pick policy
    → policy.on_request → encode (upstream format) → upstream call
    → stream: read → SSE → neutral events → engine → encode → client
    → non-stream: body → the same events → the same engine → assemble → client

Errors raised anywhere before the first byte are rendered in the client's format by
`gateway.responses`; after streaming began they become a format-correct error event.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from activity import taps
from activity.records import TransactionRecord, new_transaction_id
from gateway.codecs import Codec, codec_for
from gateway.errors import (
    AuthenticationFailed,
    GatewayError,
    InvalidRequest,
    PayloadTooLarge,
    PermissionDenied,
    TooManyMessages,
)
from gateway.headers import client_response_headers, upstream_request_headers
from gateway.keys import ClientIdentity, client_key_authenticate, secret_from_headers
from gateway.metrics import count_auth_failure
from gateway.neutral import Event, MessageEnd, Request, WireFormat
from gateway.replies import reply_events
from gateway.responses import error_response, json_response, stream_response
from gateway.stages import decode_events, encode_events, read_upstream, record_events
from gateway.timing import RequestClock
from gateway.upstream_call import open_upstream, read_body
from gateway.upstreams import Route, resolve_route
from policies.context import PolicyContext
from policies.engine import apply_policy, apply_request
from policies.engine.request import PolicyRefusedRequest
from policies.runtime import resolve_policy

logger = logging.getLogger("gateway.pipeline")


async def proxy(http_request: HttpRequest, fmt: WireFormat) -> HttpResponse | StreamingHttpResponse:
    """Handle one client call in wire format `fmt`."""
    clock = RequestClock()
    record = TransactionRecord(id=new_transaction_id(), client_format=fmt)
    headers = {k.lower(): v for k, v in http_request.headers.items()}
    try:
        identity = await _authenticate(headers)
    except AuthenticationFailed as error:
        count_auth_failure(fmt)
        logger.warning("authentication failed on %s (%s)", http_request.path, fmt)
        return error_response(fmt, error, record.id)
    record.api_key_id, record.api_key_name = identity.key_id, identity.name
    try:
        return await _proxy(http_request, fmt, headers, identity, record, clock)
    except GatewayError as error:
        _finish(
            record,
            clock,
            status=error.record_status,
            http_status=error.http_status(),
            error=error.message,
        )
        return error_response(fmt, error, record.id)


async def _authenticate(headers: dict[str, str]) -> ClientIdentity:
    identity = await client_key_authenticate(secret_from_headers(headers))
    if identity is None:
        raise AuthenticationFailed(
            "invalid or missing API key: send it as `Authorization: "
            "Bearer <key>` or `x-api-key: <key>`"
        )
    return identity


def _parse_body(http_request: HttpRequest) -> dict[str, Any]:
    limit = settings.LUTHIEN_MAX_BODY_BYTES
    declared = http_request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body is larger than the limit of {limit} bytes")
    body = http_request.body
    if len(body) > limit:
        raise PayloadTooLarge(f"request body is larger than the limit of {limit} bytes")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise InvalidRequest(f"request body is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise InvalidRequest("request body must be a JSON object")
    return data


async def _proxy(
    http_request: HttpRequest,
    fmt: WireFormat,
    headers: dict[str, str],
    identity: ClientIdentity,
    record: TransactionRecord,
    clock: RequestClock,
) -> HttpResponse | StreamingHttpResponse:
    data = _parse_body(http_request)
    record.request_original = http_request.body
    codec = codec_for(fmt)
    request = codec.decode_request(data)
    record.model, record.stream = request.model, request.stream
    record.session_id = _session_id(headers, request)
    if len(request.messages) > settings.LUTHIEN_MAX_MESSAGES:
        raise TooManyMessages(
            f"too many messages: {len(request.messages)} > {settings.LUTHIEN_MAX_MESSAGES}",
            param="messages",
        )
    route = resolve_route(request.model, fmt)
    record.upstream, record.upstream_model = route.upstream.name, route.model
    override = headers.get("x-luthien-policy")
    if override and not identity.may_override_policy:
        raise PermissionDenied("this API key may not choose a policy with X-Luthien-Policy")
    active = await resolve_policy(override)
    record.policy_name, record.policy_version = active.name, active.version
    ctx = PolicyContext(
        transaction_id=record.id,
        request=request,
        listener=lambda decision: taps.transaction_decision(record, decision),
    )
    taps.transaction_started(record)
    try:
        request = await apply_request(active.policy, request, ctx)
    except PolicyRefusedRequest as refused:
        return _reply(codec, request, record, clock, refused.message, refused.status)
    upstream_body = codec_for(route.format).encode_request(request)
    upstream_body["model"] = route.model
    if request.stream and route.format == "openai":
        # Ask for usage so it is recorded; the encoder shows it only to clients that asked.
        options = upstream_body.get("stream_options")
        upstream_body["stream_options"] = {**(options or {}), "include_usage": True}
    record.request_final = upstream_body
    clock.upstream_started = time.perf_counter()
    response = await open_upstream(
        url=route.upstream.url_for(route.format),
        body=orjson.dumps(upstream_body),
        headers=upstream_request_headers(route.upstream, route.format, headers),
        upstream=route.upstream.name,
    )
    clock.upstream_wait += time.perf_counter() - clock.upstream_started
    extra_headers = client_response_headers(response.headers.multi_items())
    if request.stream:
        body = _stream(codec, route, request, ctx, active.policy, response, record, clock)
        return stream_response(body, record.id, extra_headers)
    waited = [0.0]
    raw = await read_body(response, route.upstream.name, waited)
    clock.upstream_wait += waited[0]
    return await _complete(codec, route, raw, ctx, active.policy, record, clock, extra_headers)


async def _complete(
    codec: Codec,
    route: Route,
    raw: bytes,
    ctx: PolicyContext,
    policy: Any,
    record: TransactionRecord,
    clock: RequestClock,
    extra_headers: dict[str, str],
) -> HttpResponse:
    """Non-streaming: the upstream body becomes events and runs through the same engine."""
    try:
        upstream_json = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        from gateway.errors import UpstreamUnavailable

        raise UpstreamUnavailable("upstream sent a response that is not JSON") from error
    events = codec_for(route.format).decode_response(upstream_json)
    record.response_original = raw
    out: list[Event] = []

    async def one_batch() -> AsyncIterator[list[Event]]:
        yield events

    async with aclosing(apply_policy(policy, ctx, one_batch())) as batches:
        async for batch in batches:
            out.extend(batch)
    body = codec.encode_response(out)
    record.response_final = body
    _usage(record, out)
    status = "blocked" if ctx.blocked else "completed"
    _finish(record, clock, status=status, http_status=200)
    return json_response(body, record.id, record.overhead_ms, extra_headers)


async def _stream(
    codec: Codec,
    route: Route,
    request: Request,
    ctx: PolicyContext,
    policy: Any,
    response: Any,
    record: TransactionRecord,
    clock: RequestClock,
) -> AsyncIterator[bytes]:
    """Streaming: the composed stages; the record is finished whatever happens."""
    original: list[Event] = []
    final: list[Event] = []
    record.response_events_original, record.response_events_final = original, final
    chunks = read_upstream(response, route.upstream.name, clock)
    events = record_events(
        decode_events(chunks, codec_for(route.format).stream_decoder()), original
    )
    checked = record_events(apply_policy(policy, ctx, events), final)
    status = "cancelled"
    try:
        async with aclosing(
            encode_events(checked, codec.stream_encoder(request), clock, codec.format)
        ) as stream:
            async for data in stream:
                yield data
        status = (
            "upstream_error"
            if _stream_failed(final)
            else ("blocked" if ctx.blocked else "completed")
        )
    finally:
        _usage(record, final)
        _finish(record, clock, status=status, http_status=200)


def _stream_failed(events: list[Event]) -> bool:
    return bool(events) and events[-1].type == "stream_error"


def _reply(
    codec: Codec,
    request: Request,
    record: TransactionRecord,
    clock: RequestClock,
    message: str,
    status: str,
) -> HttpResponse | StreamingHttpResponse:
    """Answer with `message` as the assistant's reply, without calling the upstream."""
    events = reply_events(record.id, request.model, message)
    record.response_events_final = events
    if request.stream:
        encoder = codec.stream_encoder(request)

        async def body() -> AsyncIterator[bytes]:
            try:
                yield encoder.encode(events) + encoder.finish()
            finally:
                _finish(record, clock, status=status, http_status=200)

        return stream_response(body(), record.id, {})
    payload = codec.encode_response(events)
    record.response_final = payload
    _finish(record, clock, status=status, http_status=200)
    return json_response(payload, record.id, record.overhead_ms, {})


def _usage(record: TransactionRecord, events: list[Event]) -> None:
    for event in reversed(events):
        if isinstance(event, MessageEnd) and event.usage is not None:
            record.input_tokens = event.usage.input_tokens
            record.output_tokens = event.usage.output_tokens
            return


def _session_id(headers: dict[str, str], request: Request) -> str:
    session = headers.get("x-luthien-session-id") or headers.get("x-session-id", "")
    if not session:
        metadata = request.params.get("metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("user_id"), str):
            session = metadata["user_id"]
    return session[:200]


def _finish(
    record: TransactionRecord,
    clock: RequestClock,
    *,
    status: str,
    http_status: int,
    error: str = "",
) -> None:
    if record.ended_at is not None:
        return
    record.status, record.http_status, record.error = status, http_status, error
    record.ended_at = time.time()
    now = time.perf_counter()
    record.latency_ms = round(clock.elapsed_ms(now), 3)
    record.overhead_ms = round(clock.overhead_ms(now), 3)
    if clock.first_byte is not None:
        record.first_byte_at = record.started_at + (clock.first_byte - clock.started)
    taps.transaction_finished(record)
