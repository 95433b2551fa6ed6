"""The `/v1/` route table: what the gateway serves under `/v1/`, with which methods.

    path                         methods    handler        client format
    /v1/chat/completions         POST       proxy          openai
    /v1/messages                 POST       proxy          anthropic
    /v1/messages/count_tokens    POST       count_tokens   anthropic
    /v1/responses                POST       proxy          responses
    /v1/responses/{id}[/…]       GET, DELETE, POST  stored_response  responses
                                 (`{id}` GET/DELETE, `{id}/cancel` POST, `{id}/input_items` GET)
    /v1/models                   GET, HEAD  models         from the headers
    /v1/models/{id}              GET, HEAD  model          from the headers

A known path called with another method is a 405 (with `Allow`); any other path under `/v1/` is
a 404. Neither is forwarded upstream: the gateway forwards only what it applies a policy to, or
records as a pass-through. Both answers are JSON in the client's format (`client_format`).
Everything here is pure (no Django, no I/O); `gateway.dispatch` acts on a `RouteMatch`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from wire.neutral import WireFormat

Handler = Literal["proxy", "count_tokens", "stored_response", "models", "model"]


@dataclass(frozen=True, slots=True)
class V1Route:
    """One served path. `prefix` routes match `path` + a non-empty id (which may hold `/`)."""

    path: str
    methods: tuple[str, ...]
    handler: Handler
    fmt: WireFormat | None  # None: the client's format is read from its headers
    prefix: bool = False


ROUTES: tuple[V1Route, ...] = (
    V1Route("/v1/chat/completions", ("POST",), "proxy", "openai"),
    V1Route("/v1/messages", ("POST",), "proxy", "anthropic"),
    V1Route("/v1/messages/count_tokens", ("POST",), "count_tokens", "anthropic"),
    V1Route("/v1/responses", ("POST",), "proxy", "responses"),
    V1Route("/v1/responses/", ("GET", "DELETE", "POST"), "stored_response", "responses", True),
    V1Route("/v1/models", ("GET", "HEAD"), "models", None),
    V1Route("/v1/models/", ("GET", "HEAD"), "model", None, prefix=True),
)
_EXACT = {route.path: route for route in ROUTES if not route.prefix}
_PREFIXED = tuple(route for route in ROUTES if route.prefix)


STORED_RESPONSE_ENDPOINTS: dict[str, tuple[str, ...]] = {
    "/v1/responses/{id}": ("GET", "DELETE"),
    "/v1/responses/{id}/cancel": ("POST",),
    "/v1/responses/{id}/input_items": ("GET",),
}
"""The pass-through calls on a stored response, by the endpoint they are recorded under."""


def stored_response_endpoint(param: str) -> tuple[str, str] | None:
    """`(recorded endpoint, response id)` of the part of a `/v1/responses/…` path after the
    prefix (`resp_1`, `resp_1/cancel`, `resp_1/input_items`); None for any other shape."""
    response_id, _, action = param.partition("/")
    if not response_id or "/" in action:
        return None
    endpoint = "/v1/responses/{id}" + (f"/{action}" if action else "")
    return (endpoint, response_id) if endpoint in STORED_RESPONSE_ENDPOINTS else None


@dataclass(frozen=True, slots=True)
class RouteMatch:
    """What a method and path resolve to: no route (404), a route but not this method (405),
    or a route to run, with the id of a prefix route in `param`."""

    route: V1Route | None
    allowed: bool = False
    param: str = ""


def match_route(method: str, path: str) -> RouteMatch:
    """Resolve `method path` (the path already percent-decoded) against the table."""
    route = _EXACT.get(path)
    param = ""
    if route is None:
        for candidate in _PREFIXED:
            if path.startswith(candidate.path) and len(path) > len(candidate.path):
                route, param = candidate, path[len(candidate.path) :]
                break
        else:
            return RouteMatch(None)
    return RouteMatch(route, method in route.methods, param)


def client_format(path: str, headers: Mapping[str, str], route: V1Route | None) -> WireFormat:
    """The format to answer in: the route's own, else Anthropic for `/v1/messages…` paths and
    for clients that send `anthropic-version` or `x-api-key` (what the Anthropic SDKs and
    Claude Code send), else OpenAI."""
    if route is not None and route.fmt is not None:
        return route.fmt
    if path.startswith("/v1/messages") or "anthropic-version" in headers or "x-api-key" in headers:
        return "anthropic"
    return "openai"


def served_endpoints() -> str:
    """`POST /v1/chat/completions, …` for error messages."""
    return ", ".join(
        f"{route.methods[0]} {route.path}{'{id}' if route.prefix else ''}" for route in ROUTES
    )


def recorded_endpoints() -> tuple[str, ...]:
    """Paths whose calls are recorded as transactions (everything but the model listing);
    calls on stored responses are recorded under `/v1/responses/{id}…`."""
    paths = tuple(route.path for route in ROUTES if route.handler in ("proxy", "count_tokens"))
    return paths + tuple(STORED_RESPONSE_ENDPOINTS)


def pass_through_endpoints() -> tuple[str, ...]:
    """Recorded paths whose calls reach the upstream without a policy."""
    paths = tuple(route.path for route in ROUTES if route.handler == "count_tokens")
    return paths + tuple(STORED_RESPONSE_ENDPOINTS)
