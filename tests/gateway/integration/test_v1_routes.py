"""Unknown paths and wrong methods under /v1/: JSON in the client's format, never forwarded,
never recorded, through the production lane and through Django alike."""

from __future__ import annotations

import httpx
import pytest
from asgiref.sync import sync_to_async

from activity.models import Transaction
from activity.recorder import recorder
from gateway import upstream_call
from tests.gateway.integration.conftest import Reply, V1Client

ANTHROPIC = {"anthropic-version": "2023-06-01"}


@pytest.fixture
def upstream_calls(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    """Every request that reaches an upstream (none should, here)."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"forwarded": True})

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    monkeypatch.setattr(upstream_call, "http_client", lambda: client)
    return seen


def openai_error(reply: Reply) -> dict[str, str]:
    body = reply.json()
    assert set(body) == {"error"}
    assert {"message", "type", "param", "code"} <= set(body["error"])
    return body["error"]


def anthropic_error(reply: Reply) -> dict[str, str]:
    body = reply.json()
    assert body["type"] == "error" and {"type", "error"} <= set(body)
    return body["error"]


async def _recorded() -> int:
    await sync_to_async(recorder().flush)(10)
    return await Transaction.objects.acount()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/foo"),
        ("POST", "/v1/embeddings"),
        ("POST", "/v1/responses/resp_1/unknown"),
        ("GET", "/v1/"),
        ("POST", "/v1/chat/completions/extra"),
        ("DELETE", "/v1/files/file-1"),
    ],
)
async def test_unknown_path_is_an_openai_404_by_default(
    v1: V1Client, upstream_calls: list[httpx.Request], method: str, path: str
) -> None:
    reply = await v1.call(method, path, body={"model": "mock/echo"}, headers={"x-other": "1"})
    assert reply.status == 404
    assert reply.headers["content-type"] == "application/json"
    error = openai_error(reply)
    assert (error["type"], error["code"]) == ("invalid_request_error", "unknown_url")
    assert f"unknown endpoint {method} {path}" in error["message"]
    assert "POST /v1/chat/completions" in error["message"]  # says what is served
    assert upstream_calls == []
    assert await _recorded() == 0


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/v1/messages/batches", {}),  # an Anthropic path
        ("/v1/messages/", {}),
        ("/v1/complete", ANTHROPIC),  # an Anthropic client's header
        ("/v1/foo", {"x-api-key": "lk-anything"}),
    ],
)
async def test_unknown_path_is_an_anthropic_404_for_anthropic_clients(
    v1: V1Client, upstream_calls: list[httpx.Request], path: str, headers: dict[str, str]
) -> None:
    reply = await v1.call("POST", path, body={"model": "mock/echo"}, headers=headers)
    assert reply.status == 404
    error = anthropic_error(reply)
    assert error["type"] == "not_found_error"
    assert f"unknown endpoint POST {path}" in error["message"]
    assert upstream_calls == []
    assert await _recorded() == 0


@pytest.mark.parametrize(
    ("method", "path", "allow", "fmt"),
    [
        ("GET", "/v1/chat/completions", "POST", "openai"),
        ("PUT", "/v1/chat/completions", "POST", "openai"),
        ("GET", "/v1/messages", "POST", "anthropic"),
        ("DELETE", "/v1/messages", "POST", "anthropic"),
        ("GET", "/v1/messages/count_tokens", "POST", "anthropic"),
        ("POST", "/v1/models", "GET, HEAD", "openai"),
        ("DELETE", "/v1/models/mock/echo", "GET, HEAD", "openai"),
    ],
)
async def test_wrong_method_is_405_with_allow_in_the_paths_format(
    v1: V1Client,
    upstream_calls: list[httpx.Request],
    method: str,
    path: str,
    allow: str,
    fmt: str,
) -> None:
    reply = await v1.call(method, path)
    assert reply.status == 405
    assert reply.headers["allow"] == allow
    error = anthropic_error(reply) if fmt == "anthropic" else openai_error(reply)
    assert error["type"] == "invalid_request_error"
    assert f"method {method} is not allowed on {path}" in error["message"]
    assert upstream_calls == []
    assert await _recorded() == 0


async def test_405_on_the_model_list_follows_the_clients_headers(v1: V1Client) -> None:
    reply = await v1.call("POST", "/v1/models", headers=ANTHROPIC)
    assert reply.status == 405
    assert anthropic_error(reply)["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    "path", ["/v1/messages", "/v1/chat/completions", "/v1/messages/count_tokens"]
)
async def test_head_on_a_proxy_path_is_405_without_a_body(
    v1: V1Client, upstream_calls: list[httpx.Request], path: str
) -> None:
    reply = await v1.call("HEAD", path)
    assert (reply.status, reply.headers["allow"], reply.body) == (405, "POST", b"")
    assert upstream_calls == []


async def test_head_on_an_unknown_path_is_404_without_a_body(v1: V1Client) -> None:
    reply = await v1.call("HEAD", "/v1/nothing-here")
    assert (reply.status, reply.body) == (404, b"")


async def test_head_on_the_model_list_is_200_without_a_body(v1: V1Client, api_key: str) -> None:
    reply = await v1.call("HEAD", "/v1/models", headers={"authorization": f"Bearer {api_key}"})
    assert (reply.status, reply.body) == (200, b"")
    assert reply.headers["content-type"] == "application/json"


async def test_the_docs_stay_with_django(v1: V1Client) -> None:
    reply = await v1.call("GET", "/v1/openapi.json")
    assert reply.status == 200
    paths = reply.json()["paths"]
    assert {"/v1/messages/count_tokens", "/v1/models", "/v1/models/{model_id}"} <= set(paths)
    assert set(paths["/v1/messages"]) == {"post"}  # the hidden 405 operations stay hidden
