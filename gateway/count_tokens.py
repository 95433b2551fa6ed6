"""`POST /v1/messages/count_tokens`: a recorded pass-through to the Anthropic-format upstream.

    authenticate → rate limit → check size, parse JSON, `model` → route (as /v1/messages)
    → forward the body (only `model` replaced by the routed name) → relay status, JSON, headers

No policy runs: counting tokens sends no prompt to a model and returns no content, and the
client sends the same conversation to `/v1/messages` next, where the policy applies. The call is
recorded as a transaction with endpoint `/v1/messages/count_tokens` and no policy name. A model
that routes to an OpenAI-format upstream gets a 400 (OpenAI has no token-counting endpoint).
Upstream errors are relayed with their status and body, transport failures are 502/504, all in
the Anthropic error format.
"""

from __future__ import annotations

import logging
import time

import orjson

from gateway import taps
from gateway.exchange import Exchange
from gateway.inbound import InboundRequest
from gateway.pipeline import run_guarded
from gateway.proxy_response import ProxyResponse, json_response
from gateway.request_checks import parse_body
from gateway.sessions import header_session_id
from gateway.upstream_call import open_upstream, read_body
from wire.codecs.common import require_model
from wire.errors import InvalidRequest, UpstreamUnavailable
from wire.headers import client_response_headers, upstream_request_headers
from wire.upstreams import pick_upstream, with_query

logger = logging.getLogger("gateway.count_tokens")


async def count_tokens(
    http_request: InboundRequest, headers: dict[str, str], query: str = ""
) -> ProxyResponse:
    """Answer one count_tokens call; `headers` has lower-case names, `query` is passed on."""
    exchange = Exchange("anthropic", headers)
    return await run_guarded(
        http_request, exchange, lambda _: _count(http_request, exchange, query)
    )


async def _count(http_request: InboundRequest, exchange: Exchange, query: str) -> ProxyResponse:
    record, clock = exchange.record, exchange.clock
    data = parse_body(http_request)
    record.request_original = http_request.body
    model = require_model(data)
    record.model, record.session_id = model, header_session_id(exchange.headers)
    upstream, upstream_model = pick_upstream(model, "anthropic")
    if upstream.format == "openai":
        raise InvalidRequest(
            f"count_tokens is not available for model {model!r}: it is served by the "
            f"{upstream.name} upstream, which speaks the OpenAI format and has no "
            "token-counting endpoint",
            param="model",
        )
    record.upstream, record.upstream_model = upstream.name, upstream_model
    taps.transaction_started(record)
    final = data if upstream_model == model else {**data, "model": upstream_model}
    record.request_final = final
    clock.upstream_started = time.perf_counter()
    try:
        response = await open_upstream(
            url=with_query(upstream.url_for("anthropic") + "/count_tokens", query),
            body=http_request.body if final is data else orjson.dumps(final),
            headers=upstream_request_headers(upstream, "anthropic", exchange.headers),
            upstream=upstream.name,
        )
    finally:  # failures and cancels too: waiting on the upstream is never overhead
        clock.upstream_wait += time.perf_counter() - clock.upstream_started
    raw = await read_body(response, upstream.name, clock)
    try:
        answer = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise UpstreamUnavailable("upstream sent a response that is not JSON") from error
    record.response_original = raw
    record.response_final = answer if isinstance(answer, dict) else None
    exchange.finish(status="completed", http_status=response.status_code)
    extra = client_response_headers(response.headers.multi_items())
    return json_response(raw, record.id, record.overhead_ms, extra, status=response.status_code)
