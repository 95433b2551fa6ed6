"""Every request under `/v1/`, whichever entry path it took (the ASGI lane in production, the
ninja API in Django), is answered here from the route table in `wire.routes`.

    proxy          → gateway.pipeline.proxy (policy applied, recorded)
    count_tokens   → gateway.count_tokens (pass-through, recorded)
    stored_response → gateway.stored_responses (pass-through, recorded; an unknown shape under
                     /v1/responses/ is a 404, a known one with another method a 405)
    models, model  → the model list / one model, in the client's shape (key required, not recorded)
    unknown path   → 404, known path with another method → 405 (no key needed, not recorded)

A HEAD request gets the head of the GET answer (or of the error) without a body.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl

from gateway.client_auth import client_authenticate
from gateway.count_tokens import count_tokens
from gateway.inbound import InboundRequest
from gateway.models_list import anthropic_model_page, model_find, openai_model_list
from gateway.pipeline import proxy
from gateway.proxy_response import ProxyResponse, error_response, json_response
from gateway.rate_limit import rate_limiter
from gateway.stored_responses import stored_response
from wire.errors import GatewayError, MethodNotAllowed, NotFound, UnknownEndpoint
from wire.neutral import WireFormat
from wire.routes import (
    STORED_RESPONSE_ENDPOINTS,
    RouteMatch,
    V1Route,
    client_format,
    match_route,
    served_endpoints,
    stored_response_endpoint,
)


async def dispatch(request: InboundRequest, *, method: str, query: str = "") -> ProxyResponse:
    """Answer `method request.path?query`."""
    match = match_route(method, request.path)
    response = await _answer(request, match, method, query)
    if method == "HEAD" and response.stream is None:
        response.body = b""
    return response


async def _answer(
    request: InboundRequest, match: RouteMatch, method: str, query: str
) -> ProxyResponse:
    route = match.route
    if route is not None and match.allowed and route.handler == "proxy":
        assert route.fmt is not None
        return await proxy(request, route.fmt, query)  # the hot path: nothing else done before it
    headers = {name.lower(): value for name, value in request.headers.items()}
    fmt = client_format(request.path, headers, route)
    path = request.path[:200]
    stored = None
    if route is not None and route.handler == "stored_response":
        route, match, stored = _stored_route(match, method)
    if route is None:
        known = served_endpoints()
        error: GatewayError = UnknownEndpoint(
            f"unknown endpoint {method} {path}: the gateway serves {known}"
        )
        return error_response(fmt, error, "")
    if not match.allowed:
        allowed = route.methods
        error = MethodNotAllowed(
            f"method {method} is not allowed on {path}; use {' or '.join(allowed)}",
            allowed=allowed,
        )
        return error_response(fmt, error, "")
    if route.handler == "count_tokens":
        return await count_tokens(request, headers, query)
    if stored is not None:
        endpoint, response_id = stored
        return await stored_response(
            request, headers, method=method, endpoint=endpoint, response_id=response_id, query=query
        )
    try:
        identity = await client_authenticate(headers, fmt=fmt, path=request.path)
        await rate_limiter().check(identity)
        if route.handler == "models":
            return _model_list(fmt, query)
        return _model(fmt, match.param)
    except GatewayError as error:
        return error_response(fmt, error, "")


def _stored_route(
    match: RouteMatch, method: str
) -> tuple[V1Route | None, RouteMatch, tuple[str, str] | None]:
    """A `/v1/responses/…` match narrowed to its shape: no route for an unknown shape (404),
    the shape's own methods otherwise (405 for another)."""
    stored = stored_response_endpoint(match.param)
    if stored is None or match.route is None:
        return None, RouteMatch(None), None
    allowed = STORED_RESPONSE_ENDPOINTS[stored[0]]
    route = replace(match.route, methods=allowed)
    return route, RouteMatch(route, method in allowed, match.param), stored


def _model_list(fmt: WireFormat, query: str) -> ProxyResponse:
    if fmt == "anthropic":
        return json_response(anthropic_model_page(dict(parse_qsl(query))), "", None, {})
    return json_response(openai_model_list(), "", None, {})


def _model(fmt: WireFormat, model_id: str) -> ProxyResponse:
    entry = model_find(model_id)
    if entry is None:
        raise NotFound(
            f"model {model_id[:200]!r} is not listed by this gateway: it lists the built-in "
            "mock models and one `<upstream>/*` entry per upstream (GET /v1/models); any "
            "model name is still routed by the rules in the README",
            param="model",
        )
    return json_response(entry.anthropic() if fmt == "anthropic" else entry.openai(), "", None, {})
