"""Calls on stored responses: a recorded pass-through to the OpenAI upstream, no policy.

    GET    /v1/responses/{id}               retrieve   (also `?stream=true`: relayed as SSE)
    DELETE /v1/responses/{id}               delete
    POST   /v1/responses/{id}/cancel        cancel a background response
    GET    /v1/responses/{id}/input_items   list its input items

    authenticate → rate limit → forward method, path, query and body to the `openai` upstream
    (stored responses live there; the id names no model to route by) → relay status, body,
    headers

No policy runs: these calls create no new model output (a retrieved response was checked when
it was made, if it went through the gateway). Each call is recorded as a transaction under its
endpoint template (`/v1/responses/{id}/cancel`, …) with no policy name. Upstream errors are
relayed with their status and body, transport failures are 502/504, in the OpenAI format.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from urllib.parse import quote

import httpx
import orjson

from gateway import taps
from gateway.exchange import CLIENT_CLOSED, Exchange
from gateway.inbound import InboundRequest
from gateway.pipeline import run_guarded
from gateway.proxy_response import ProxyResponse, json_response, stream_response
from gateway.sessions import header_session_id
from gateway.stages import read_upstream
from gateway.upstream_call import open_upstream, read_body
from wire.errors import UpstreamFailure
from wire.headers import client_response_headers, upstream_request_headers
from wire.upstreams import upstreams, with_query


async def stored_response(
    http_request: InboundRequest,
    headers: dict[str, str],
    *,
    method: str,
    endpoint: str,
    response_id: str,
    query: str,
) -> ProxyResponse:
    """Relay one call on a stored response; `headers` has lower-case names."""
    exchange = Exchange("responses", headers)

    async def work(_: object) -> ProxyResponse:
        return await _relay(http_request, exchange, method, endpoint, response_id, query)

    return await run_guarded(http_request, exchange, work)


async def _relay(
    http_request: InboundRequest,
    exchange: Exchange,
    method: str,
    endpoint: str,
    response_id: str,
    query: str,
) -> ProxyResponse:
    record, clock = exchange.record, exchange.clock
    record.endpoint = endpoint
    record.request_original = http_request.body
    record.session_id = header_session_id(exchange.headers)
    upstream = upstreams()["openai"]
    record.upstream = upstream.name
    taps.transaction_started(record)
    suffix = endpoint.removeprefix("/v1/responses/{id}")
    url = f"{upstream.url_for('responses')}/{quote(response_id, safe='')}{suffix}"
    clock.upstream_started = time.perf_counter()
    try:
        response = await open_upstream(
            url=with_query(url, query),
            body=http_request.body if method == "POST" else b"",
            headers=upstream_request_headers(upstream, "responses", exchange.headers),
            upstream=upstream.name,
            method=method,
        )
    finally:  # failures and cancels too: waiting on the upstream is never overhead
        clock.upstream_wait += time.perf_counter() - clock.upstream_started
    extra = client_response_headers(response.headers.multi_items())
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        relayed = stream_response(_stream(exchange, response), record.id, extra)
        relayed.status = response.status_code
        return relayed
    raw = await read_body(response, upstream.name, clock)
    record.response_original = raw
    try:
        answer = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        answer = None
    record.response_final = answer if isinstance(answer, dict) else None
    exchange.finish(status="completed", http_status=response.status_code)
    return json_response(raw, record.id, record.overhead_ms, extra, status=response.status_code)


async def _stream(exchange: Exchange, response: httpx.Response) -> AsyncGenerator[bytes, None]:
    """The upstream's SSE bytes as they arrive (a resumed background response), recorded."""
    record = exchange.record
    received: list[bytes] = []
    status = "cancelled"
    try:
        async for chunk in read_upstream(response, record.upstream, exchange.clock):
            received.append(chunk)
            yield chunk
        status = "completed"
    except UpstreamFailure as error:  # the client sees the stream end early, as upstream
        status, record.error = "upstream_error", error.message
    finally:
        record.response_original = b"".join(received)
        http_status = CLIENT_CLOSED if status == "cancelled" else response.status_code
        exchange.finish(status=status, http_status=http_status)
