"""The /v1 route table, without HTTP."""

from __future__ import annotations

import pytest

from wire.routes import client_format, match_route
from wire.upstreams import with_query


@pytest.mark.parametrize(
    ("method", "path", "handler", "allowed", "param"),
    [
        ("POST", "/v1/messages", "proxy", True, ""),
        ("GET", "/v1/messages", "proxy", False, ""),
        ("POST", "/v1/messages/count_tokens", "count_tokens", True, ""),
        ("HEAD", "/v1/models", "models", True, ""),
        ("GET", "/v1/models/mock/echo", "model", True, "mock/echo"),
        ("GET", "/v1/models/a b/c?d", "model", True, "a b/c?d"),
        ("PUT", "/v1/models/x", "model", False, "x"),
    ],
)
def test_known_routes(method: str, path: str, handler: str, allowed: bool, param: str) -> None:
    match = match_route(method, path)
    assert match.route is not None and match.route.handler == handler
    assert (match.allowed, match.param) == (allowed, param)


@pytest.mark.parametrize(
    "path", ["/v1/models/", "/v1/modelsx", "/v1/message", "/v1/messages/", "/v1", "/v2/messages"]
)
def test_unknown_paths(path: str) -> None:
    assert match_route("GET", path).route is None


def test_client_format_prefers_the_routes_own() -> None:
    openai_route = match_route("GET", "/v1/chat/completions").route
    assert client_format("/v1/chat/completions", {"x-api-key": "k"}, openai_route) == "openai"
    models = match_route("GET", "/v1/models").route
    assert client_format("/v1/models", {}, models) == "openai"
    assert client_format("/v1/models", {"anthropic-version": "1"}, models) == "anthropic"
    assert client_format("/v1/messages/batches", {}, None) == "anthropic"
    assert client_format("/v1/nope", {"authorization": "Bearer k"}, None) == "openai"


@pytest.mark.parametrize(
    ("url", "query", "expected"),
    [
        ("https://api.test/v1/messages", "", "https://api.test/v1/messages"),
        ("https://api.test/v1/messages", "beta=true", "https://api.test/v1/messages?beta=true"),
        (
            "https://az.test/chat?api-version=1",
            "beta=true",
            "https://az.test/chat?api-version=1&beta=true",
        ),
    ],
)
def test_the_clients_query_is_appended_to_the_upstream_url(
    url: str, query: str, expected: str
) -> None:
    assert with_query(url, query) == expected
