"""The proxy pipeline, top to bottom, for both wire formats, streaming and not.

    authenticate → check size, parse JSON → decode (client format) → session → route
    → pick policy (override, key's, active) → load the session's history if it needs it
    → policy.on_request → [translate] → encode (upstream format) → upstream call
    → stream:     read → SSE → neutral events → engine → encode → client   (gateway.respond)
    → non-stream: body → the same events → the same engine → assemble → client

When the routed upstream speaks another format than the client, `wire.translation` reshapes
the request after the policy and the upstream's events before it (and its error statuses);
same-format calls skip it entirely.

Errors raised before the first byte are rendered in the client's format; after streaming
began they become a format-correct error event (see `gateway.stages`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from gateway.client_auth import client_authenticate
from gateway.exchange import CLIENT_CLOSED, Exchange
from gateway.inbound import InboundRequest
from gateway.keys import ClientIdentity
from gateway.proxy_response import ProxyResponse, error_response
from gateway.rate_limit import rate_limiter
from gateway.request_checks import check_message_count, check_override_allowed, parse_body
from gateway.respond import respond_complete, respond_reply, respond_stream
from gateway.sessions import session_id
from gateway.upstream_call import open_upstream, read_body
from policies.engine import apply_request
from policies.engine.request import PolicyRefusedRequest
from policies.selection import resolve_policy
from policies.session import session_view_load
from wire import tracing
from wire.errors import AuthenticationFailed, GatewayError, UpstreamError
from wire.headers import client_response_headers, upstream_request_headers
from wire.neutral import WireFormat
from wire.translation import translation_for
from wire.upstreams import resolve_route, with_query

logger = logging.getLogger("gateway.pipeline")


async def proxy(http_request: InboundRequest, fmt: WireFormat, query: str = "") -> ProxyResponse:
    """Handle one client call in wire format `fmt`; `query` is the client's URL query string,
    passed on to a same-format upstream."""
    headers = http_request.headers
    if not isinstance(headers, dict):  # Django's case-insensitive headers (the lane's are lower)
        headers = {k.lower(): v for k, v in headers.items()}
    exchange = Exchange(fmt, headers)
    return await run_guarded(
        http_request, exchange, lambda identity: _proxy(http_request, exchange, identity, query)
    )


async def run_guarded(
    http_request: InboundRequest,
    exchange: Exchange,
    work: Callable[[ClientIdentity], Awaitable[ProxyResponse]],
) -> ProxyResponse:
    """Authenticate and rate-limit the call, run `work`, and answer every failure in the
    client's format with the transaction finished (gateway errors, a client gone, a bug)."""
    fmt = exchange.fmt
    exchange.record.endpoint = http_request.path
    exchange.span = tracing.start_root(
        "luthien.call", {"luthien.format": fmt, "url.path": http_request.path[:200]}
    )
    try:
        with tracing.span("luthien.auth", parent=exchange.span):
            identity = await client_authenticate(exchange.headers, fmt=fmt, path=http_request.path)
    except AuthenticationFailed as error:
        tracing.end_root(exchange.span, {"http.response.status_code": 401}, error=error.message)
        return error_response(fmt, error, exchange.record.id)
    exchange.record.api_key_id, exchange.record.api_key_name = identity.key_id, identity.name
    try:
        with tracing.current(exchange.span):
            await rate_limiter().check(identity)
            return await work(identity)
    except GatewayError as error:
        exchange.finish(
            status=error.record_status, http_status=error.http_status(), error=error.message
        )
        return error_response(fmt, error, exchange.record.id)
    except asyncio.CancelledError:
        exchange.finish(
            status="cancelled", http_status=CLIENT_CLOSED, error="the client disconnected"
        )
        raise
    except Exception as error:  # a bug: still answer in the client's format, and record it
        logger.exception("unhandled error answering %s", http_request.path[:200])
        failure = GatewayError(f"internal error in the gateway ({type(error).__name__})")
        exchange.finish(status="rejected", http_status=500, error=failure.message)
        return error_response(fmt, failure, exchange.record.id)


async def _proxy(
    http_request: InboundRequest, exchange: Exchange, identity: ClientIdentity, query: str
) -> ProxyResponse:
    record, headers = exchange.record, exchange.headers
    data = parse_body(http_request)
    record.request_original = http_request.body
    request = exchange.codec.decode_request(data)
    record.model, record.stream = request.model, request.stream
    record.session_id = await session_id(headers, request, identity.name)
    check_message_count(request)
    exchange.route = route = resolve_route(request.model, exchange.fmt)
    record.upstream, record.upstream_model = route.upstream.name, route.model
    record.upstream_format = route.format
    exchange.translation = translation = translation_for(exchange.fmt, route.format)
    override = headers.get("x-luthien-policy")
    if override:
        check_override_allowed(identity)
    active = await resolve_policy(override, key_policy=identity.policy)
    record.policy_name, record.policy_version = active.name, active.version
    record.policy_overridden = bool(override)
    session = None
    if active.policy.uses_session:
        session = await session_view_load(record.session_id, request)
    ctx = exchange.start_policy(request, active.policy, session)
    try:
        with tracing.span("luthien.policy.request", **{"luthien.policy": active.name}):
            request = exchange.request = await apply_request(active.policy, request, ctx)
    except PolicyRefusedRequest as refused:
        return respond_reply(exchange, refused.message, refused.status)
    if translation is None:
        encoded = exchange.upstream_codec.encode_request(request)
        upstream_body = _as_sent(data, encoded)
    else:
        upstream_body = exchange.upstream_codec.encode_request(translation.request(request))
    upstream_body["model"] = route.model
    if request.stream and route.format == "openai":
        # Ask for usage so it is recorded; the encoder shows it only to clients that asked.
        options = upstream_body.get("stream_options")
        upstream_body["stream_options"] = {**(options or {}), "include_usage": True}
    record.request_final = upstream_body
    clock = exchange.clock
    clock.upstream_started = time.perf_counter()
    try:
        with tracing.span("luthien.upstream", **{"luthien.upstream": route.upstream.name}):
            response = await open_upstream(
                url=with_query(
                    route.upstream.url_for(route.format), query if translation is None else ""
                ),
                body=orjson.dumps(upstream_body),
                headers=upstream_request_headers(route.upstream, route.format, headers),
                upstream=route.upstream.name,
            )
    except UpstreamError as error:
        if translation is None:
            raise
        raise translation.error(error) from error
    finally:  # also on a timeout, an error status or a client gone: never counted as overhead
        clock.upstream_wait += time.perf_counter() - clock.upstream_started
    extra_headers = client_response_headers(response.headers.multi_items())
    if request.stream:
        return respond_stream(exchange, response, extra_headers)
    raw = await read_body(response, route.upstream.name, clock)
    return await respond_complete(exchange, raw, extra_headers)


def _as_sent(client_body: dict[str, Any], encoded: dict[str, Any]) -> dict[str, Any]:
    """The body to send upstream when client and upstream share a format: a copy of the
    client's own body (its key order) when the policy left the request as it came, else the
    re-encoded one. Compared by value, so an in-place change by a policy is never lost."""
    return dict(client_body) if encoded == client_body else encoded
