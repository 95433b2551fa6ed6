"""`UpstreamClient`: requests carry the named timeouts and exactly the headers given (those are
decided in `wire.headers`), mock hosts go to the mock transport, and nothing is kept between
calls (no cookie jar, no redirects)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from wire.http_client import UpstreamClient
from wire.upstreams import MOCK_HOST


@pytest.fixture(autouse=True)
def _fresh_singletons() -> Iterator[None]:
    """Pure tests: skip the project-wide reset (it needs Django)."""
    yield


class Seen:
    """A MockTransport that remembers the requests it answered."""

    def __init__(self, name: str, response: httpx.Response | None = None) -> None:
        self.name = name
        self.requests: list[httpx.Request] = []
        self.response = response

    def transport(self) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            if self.response is not None:
                return self.response
            return httpx.Response(200, text=self.name, headers={"set-cookie": "session=abc"})

        return httpx.MockTransport(answer)


def make(real: Seen, mock: Seen) -> UpstreamClient:
    timeout = httpx.Timeout(connect=1.0, read=2.0, write=3.0, pool=4.0)
    return UpstreamClient(real.transport(), mock.transport(), timeout)


async def test_requests_carry_the_timeouts_and_only_the_given_headers() -> None:
    real, mock = Seen("real"), Seen("mock")
    client = make(real, mock)
    request = client.build_request(
        "POST", "https://api.example.test/v1/x", content=b"{}", headers={"a": "1"}
    )
    assert request.extensions["timeout"] == {"connect": 1.0, "read": 2.0, "write": 3.0, "pool": 4.0}
    assert dict(request.headers) == {"a": "1", "host": "api.example.test", "content-length": "2"}


def test_upstream_headers_pass_the_clients_own_and_never_its_key() -> None:
    from wire.headers import upstream_request_headers
    from wire.upstreams import Upstream

    upstream = Upstream("anthropic", "anthropic", "https://api.anthropic.test", "sk-upstream")
    client_headers = {
        "x-api-key": "lk-client",
        "authorization": "Bearer lk-client",
        "cookie": "session=1",
        "user-agent": "claude-cli/2.1 (external, cli)",
        "anthropic-beta": "b1,b2",
        "x-stainless-retry-count": "0",
        "x-app": "cli",
        "x-luthien-policy": "noop",
        "x-luthien-session-id": "s1",
        "host": "gateway.local",
        "content-length": "99",
        "connection": "keep-alive",
        "accept-encoding": "gzip, br",
        "x-forwarded-for": "10.0.0.1",
    }
    headers = upstream_request_headers(upstream, "anthropic", client_headers)
    assert headers == {
        "user-agent": "claude-cli/2.1 (external, cli)",
        "anthropic-beta": "b1,b2",
        "x-stainless-retry-count": "0",
        "x-app": "cli",
        "content-type": "application/json",
        "accept-encoding": "identity",
        "anthropic-version": "2023-06-01",
        "x-api-key": "sk-upstream",
    }


def test_upstream_headers_name_the_gateway_when_the_client_did_not() -> None:
    from wire.headers import upstream_request_headers
    from wire.upstreams import Upstream

    upstream = Upstream("openai", "openai", "https://api.openai.test", "sk-o")
    headers = upstream_request_headers(upstream, "openai", {"openai-beta": "assistants=v2"})
    assert headers["user-agent"] == "luthien-gateway"
    assert headers["authorization"] == "Bearer sk-o" and headers["openai-beta"] == "assistants=v2"


def test_upstream_response_headers_come_back_except_hop_and_host_state() -> None:
    from wire.headers import client_response_headers

    upstream = [
        ("request-id", "req_1"),
        ("anthropic-ratelimit-tokens-remaining", "9"),
        ("x-new-provider-header", "v"),
        ("cf-ray", "abc"),
        ("Content-Length", "10"),
        ("content-encoding", "gzip"),
        ("transfer-encoding", "chunked"),
        ("set-cookie", "__cf_bm=x"),
        ("alt-svc", 'h3=":443"'),
        ("date", "Sun, 06 Dec 2026 00:00:00 GMT"),
        ("server", "cloudflare"),
    ]
    assert client_response_headers(upstream) == {
        "request-id": "req_1",
        "anthropic-ratelimit-tokens-remaining": "9",
        "x-new-provider-header": "v",
        "cf-ray": "abc",
    }


async def test_mock_host_goes_to_the_mock_transport_and_the_rest_to_the_real_one() -> None:
    real, mock = Seen("real"), Seen("mock")
    client = make(real, mock)
    to_mock = await client.send(
        client.build_request("POST", f"{MOCK_HOST}/v1/chat", content=b"{}", headers={}),
        stream=False,
    )
    to_real = await client.send(
        client.build_request("POST", "https://api.example.test/v1/chat", content=b"{}", headers={})
    )
    assert to_mock.text == "mock"
    assert (await to_real.aread()) == b"real"
    assert len(mock.requests) == len(real.requests) == 1
    assert to_real.request.url.host == "api.example.test"


async def test_no_cookies_are_kept_and_redirects_are_not_followed() -> None:
    redirect = httpx.Response(307, headers={"location": "https://elsewhere.test/"})
    real, mock = Seen("real", redirect), Seen("mock")
    client = make(real, mock)
    first = await client.send(
        client.build_request("POST", "https://api.example.test/v1/x", content=b"1", headers={}),
        stream=False,
    )
    assert first.status_code == 307  # passed back, not followed
    real.response = None
    await client.send(
        client.build_request("POST", "https://api.example.test/v1/x", content=b"2", headers={}),
        stream=False,
    )
    await client.send(
        client.build_request("POST", "https://api.example.test/v1/x", content=b"3", headers={}),
        stream=False,
    )
    assert [r.url.host for r in real.requests] == ["api.example.test"] * 3
    assert all("cookie" not in r.headers for r in real.requests)  # set-cookie was not stored


@pytest.mark.parametrize("choice", ["http11", "httpx"])
async def test_both_transport_choices_serve_a_real_call(choice: str, settings: object) -> None:
    """`LUTHIEN_UPSTREAM_TRANSPORT` picks the transport; either one speaks to a real socket."""
    from tests.wire.http11.servers import ScriptedServer, answer_every_request
    from wire.egress.httpx_router import ProxyRouter
    from wire.egress.transports import upstream_transport
    from wire.http11.transport import Http11Transport

    settings.LUTHIEN_UPSTREAM_TRANSPORT = choice  # type: ignore[attr-defined]
    transport = upstream_transport()
    expected = Http11Transport if choice == "http11" else ProxyRouter
    assert isinstance(transport, expected)
    client = UpstreamClient(transport, Seen("mock").transport(), httpx.Timeout(5.0))
    async with ScriptedServer(answer_every_request(b"pong")) as server:
        response = await client.send(
            client.build_request("POST", server.url + "/v1/x", content=b"ping", headers={}),
            stream=False,
        )
        await client.aclose()
    assert response.content == b"pong"
    [received] = server.peers[0].requests
    assert received.body == b"ping" and received.target == "/v1/x"
