"""The gateway's production path through a real CONNECT proxy to the mock upstream over TLS.

Calls go through Django's async client, the pipeline and the shared upstream client (both
`LUTHIEN_UPSTREAM_TRANSPORT` choices) to `https://upstream.test:<port>`, a name only the proxy
resolves; the judge client goes the same way. What the proxy saw, what the client got (in its
own format) and what was recorded are asserted.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from activity.models import Transaction
from activity.recorder import recorder
from policies.judge_client import JudgeConfig, JudgeError, close_judge_client, judge_ask
from tests.gateway.integration.conftest import Proxy, read_stream
from tests.gateway.integration.sse_helpers import anthropic_stream_text, openai_stream_text
from tests.wire.egress.support import UPSTREAM_NAME, ConnectProxy, ThrowawayCA, TlsMock
from wire.http_client import close_http_client
from wire.upstreams import reset_upstreams

pytestmark = pytest.mark.django_db(transaction=True)

USER = [{"role": "user", "content": "hi"}]
TLS_FAILURE = "TLS certificate verification failed for upstream.test:"


@pytest.fixture(autouse=True)
def _recorder(transactional_db: None) -> Iterator[None]:
    yield
    recorder().flush(timeout=10)


@pytest.fixture(autouse=True)
async def _fresh_clients() -> AsyncIterator[None]:
    """Each test builds its clients from its own settings and closes their connections."""
    yield
    await close_http_client()
    await close_judge_client()


@pytest.fixture(params=["http11", "httpx"])
def transport(request: pytest.FixtureRequest, settings: Any) -> str:
    """Both upstream transports."""
    settings.LUTHIEN_UPSTREAM_TRANSPORT = request.param
    return str(request.param)


@pytest.fixture
def gateway(transactional_db: None) -> Proxy:
    """A client of the gateway with a fresh key."""
    from gateway.keys import api_key_create

    _, secret = api_key_create(name="egress-client")
    return Proxy(secret)


def configure(
    settings: Any, upstream: str, *, https_proxy: str = "", override: str = "", **extra: str
) -> None:
    """Point `mock/*` at `upstream` and set the egress settings (nothing else leaks in)."""
    settings.LUTHIEN_MOCK_UPSTREAM = upstream
    settings.HTTPS_PROXY = https_proxy
    settings.HTTP_PROXY = ""
    settings.NO_PROXY = extra.get("no_proxy", "")
    settings.LUTHIEN_UPSTREAM_PROXY = override
    settings.LUTHIEN_UPSTREAM_CA_BUNDLE = extra.get("ca_bundle", "")
    reset_upstreams()


async def call(gateway: Proxy, fmt: str, *, stream: bool, model: str = "mock/echo") -> Any:
    if fmt == "openai":
        return await gateway.openai({"model": model, "messages": USER, "stream": stream})
    body = {"model": model, "max_tokens": 50, "messages": USER, "stream": stream}
    return await gateway.anthropic(body)


async def answer_text(response: Any, fmt: str, *, stream: bool) -> str:
    if stream:
        raw = await read_stream(response)
        return (openai_stream_text if fmt == "openai" else anthropic_stream_text)(raw)[0]
    body = json.loads(response.content)
    if fmt == "openai":
        return str(body["choices"][0]["message"]["content"])
    return "".join(block["text"] for block in body["content"] if block["type"] == "text")


def client_error(response: Any, fmt: str) -> dict[str, Any]:
    """The error object in the client's own format (asserting that format)."""
    body = json.loads(response.content)
    if fmt == "openai":
        assert set(body) == {"error"} and body["error"]["type"] == "server_error"
        return dict(body["error"])
    assert body["type"] == "error" and body["error"]["type"] == "api_error"
    return dict(body["error"])


async def recorded(response: Any) -> Transaction:
    from asgiref.sync import sync_to_async

    await sync_to_async(recorder().flush)(timeout=10)
    return await Transaction.objects.aget(id=response["x-luthien-transaction-id"])


@pytest.mark.parametrize("fmt", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
async def test_calls_go_through_the_proxy_and_verify_with_the_ca_bundle(
    transport: str,
    fmt: str,
    stream: bool,
    gateway: Proxy,
    settings: Any,
    connect_proxy: ConnectProxy,
    tls_mock: TlsMock,
    throwaway_ca: ThrowawayCA,
) -> None:
    configure(
        settings, tls_mock.url(), https_proxy=connect_proxy.url, ca_bundle=str(throwaway_ca.pem)
    )
    response = await call(gateway, fmt, stream=stream)
    assert response.status_code == 200
    assert await answer_text(response, fmt, stream=stream) == "You said: hi"
    assert connect_proxy.seen.connects == [f"{UPSTREAM_NAME}:{tls_mock.port}"]
    assert (await recorded(response)).status == "completed"


@pytest.mark.parametrize(("fmt", "stream"), [("openai", True), ("anthropic", False)])
async def test_without_the_ca_bundle_the_client_gets_a_502_naming_tls(
    transport: str,
    fmt: str,
    stream: bool,
    gateway: Proxy,
    settings: Any,
    connect_proxy: ConnectProxy,
    tls_mock: TlsMock,
) -> None:
    configure(settings, tls_mock.url(), https_proxy=connect_proxy.url)
    response = await call(gateway, fmt, stream=stream)
    assert response.status_code == 502
    message = client_error(response, fmt)["message"]
    assert message.startswith("upstream 'mock' is unreachable: " + TLS_FAILURE)
    assert "LUTHIEN_UPSTREAM_CA_BUNDLE" in message
    assert connect_proxy.seen.connects == [f"{UPSTREAM_NAME}:{tls_mock.port}"]
    row = await recorded(response)
    assert (row.status, row.http_status) == ("upstream_error", 502)


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", ""], ids=["exempt", "not-exempt"])
async def test_no_proxy_sends_the_call_direct(
    transport: str,
    no_proxy: str,
    gateway: Proxy,
    settings: Any,
    connect_proxy: ConnectProxy,
    tls_mock: TlsMock,
    throwaway_ca: ThrowawayCA,
) -> None:
    """The override proxies even loopback, unless NO_PROXY exempts it."""
    configure(
        settings,
        tls_mock.url("127.0.0.1"),
        override=connect_proxy.url,
        no_proxy=no_proxy,
        ca_bundle=str(throwaway_ca.pem),
    )
    response = await call(gateway, "openai", stream=True)
    assert response.status_code == 200
    assert await answer_text(response, "openai", stream=True) == "You said: hi"
    expected = [] if no_proxy else [f"127.0.0.1:{tls_mock.port}"]
    assert connect_proxy.seen.connects == expected


@pytest.mark.parametrize("fmt", ["openai", "anthropic"])
async def test_a_proxy_that_is_down_is_a_502(
    transport: str, fmt: str, gateway: Proxy, settings: Any, tls_mock: TlsMock
) -> None:
    with ConnectProxy() as gone:
        down = gone.url
    configure(settings, tls_mock.url(), https_proxy=down.replace("//", "//agent:secret@"))
    response = await call(gateway, fmt, stream=False)
    assert response.status_code == 502
    message = client_error(response, fmt)["message"]
    assert f"cannot connect to the outbound proxy {down}" in message
    assert "secret" not in message
    assert (await recorded(response)).status == "upstream_error"


@pytest.mark.parametrize("fmt", ["openai", "anthropic"])
async def test_a_proxy_that_wants_credentials_is_a_502(
    transport: str, fmt: str, gateway: Proxy, settings: Any, tls_mock: TlsMock
) -> None:
    with ConnectProxy(authorization="Basic bm90OnNlbnQ=") as strict:
        configure(settings, tls_mock.url(), https_proxy=strict.url)
        response = await call(gateway, fmt, stream=True)
    assert response.status_code == 502
    message = client_error(response, fmt)["message"]
    assert "refused the tunnel" in message and "407 Proxy Authentication Required" in message
    assert strict.seen.connects == [f"{UPSTREAM_NAME}:{tls_mock.port}"]
    assert response["content-type"].startswith("application/json")  # no stream began
    assert (await recorded(response)).status == "upstream_error"


async def test_the_judge_goes_through_the_proxy_with_the_same_trust(
    transport: str,
    settings: Any,
    connect_proxy: ConnectProxy,
    tls_mock: TlsMock,
    throwaway_ca: ThrowawayCA,
) -> None:
    configure(settings, "inprocess", https_proxy=connect_proxy.url, ca_bundle=str(throwaway_ca.pem))
    settings.LUTHIEN_JUDGE_ALLOWED_HOSTS = [tls_mock.url().split("//")[1]]
    config = JudgeConfig(base_url=tls_mock.url() + "/v1", model="judge?p=0.25", timeout_s=5)
    verdict = await judge_ask(config, system="judge this", user="rm -rf /")
    assert verdict.probability == pytest.approx(0.25)
    assert connect_proxy.seen.connects == [f"{UPSTREAM_NAME}:{tls_mock.port}"]


async def test_the_judge_without_the_ca_bundle_fails_naming_tls(
    transport: str, settings: Any, connect_proxy: ConnectProxy, tls_mock: TlsMock
) -> None:
    configure(settings, "inprocess", https_proxy=connect_proxy.url)
    settings.LUTHIEN_JUDGE_ALLOWED_HOSTS = [tls_mock.url().split("//")[1]]
    config = JudgeConfig(base_url=tls_mock.url() + "/v1", model="judge", timeout_s=5)
    with pytest.raises(JudgeError) as caught:
        await judge_ask(config, system="judge this", user="ls")
    assert caught.value.kind == "network"
    assert TLS_FAILURE in caught.value.reason
    assert connect_proxy.seen.connects == [f"{UPSTREAM_NAME}:{tls_mock.port}"]
