"""Both upstream transports through a real CONNECT proxy to the real mock upstream over TLS.

The HTTP/1.1 transport runs on both event loops (production serves with uvloop, whose
`start_tls` is its own); httpx's runs on asyncio. Nothing is faked below the socket: the proxy
(`support.ConnectProxy`) and the TLS mock are real servers in their own threads.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import httpx
import pytest

from tests.wire.egress.support import (
    UPSTREAM_NAME,
    ConnectProxy,
    ThrowawayCA,
    TlsMock,
    listening_socket,
)
from tests.wire.http11.harness import run_on
from tests.wire.http11.servers import ScriptedServer, answer_every_request
from wire.egress.failures import UpstreamTlsError
from wire.egress.httpx_router import ProxyRouter
from wire.egress.proxy_url import ProxyURL
from wire.egress.selection import proxy_selection
from wire.egress.tls import ssl_context_for
from wire.http11.transport import Http11Transport

KINDS = [("http11", "asyncio"), ("http11", "uvloop"), ("httpx", "asyncio")]
BODY = {"model": "mock/echo", "messages": [{"role": "user", "content": "hello"}]}
Chooser = Callable[[str, str, int], ProxyURL | None]


def transport(kind: str, chooser: Chooser, *, ca: ThrowawayCA | None) -> httpx.AsyncBaseTransport:
    """The transport `kind` with the shared SSL context (trusting `ca` when given)."""
    context = ssl_context_for("", str(ca.pem) if ca else "")
    if kind == "http11":
        return Http11Transport(ssl_context=context, proxy_for=chooser)
    return ProxyRouter(proxy_for=chooser, ssl_context=context, limits=httpx.Limits())


def through(proxy_url: str) -> Chooser:
    """Every origin through `proxy_url` (as `LUTHIEN_UPSTREAM_PROXY` does)."""
    return proxy_selection(override=proxy_url, https="", http="", no_proxy="").proxy_for


def client(over: httpx.AsyncBaseTransport) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=over, trust_env=False, timeout=5.0)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(("kind", "loop"), KINDS)
def test_https_goes_through_a_connect_tunnel(
    kind: str, loop: str, connect_proxy: ConnectProxy, tls_mock: TlsMock, throwaway_ca: ThrowawayCA
) -> None:
    """Non-streamed and streamed calls over one tunnel; the origin name goes to the proxy."""
    url = tls_mock.url() + "/v1/chat/completions"

    async def scenario() -> None:
        async with client(transport(kind, through(connect_proxy.url), ca=throwaway_ca)) as http:
            whole = await http.post(url, json=BODY)
            async with http.stream("POST", url, json={**BODY, "stream": True}) as streamed:
                chunks = [chunk async for chunk in streamed.aiter_raw()]
        assert whole.status_code == 200
        assert whole.json()["choices"][0]["message"]["content"] == "You said: hello"
        assert streamed.status_code == 200
        assert b"".join(chunks).rstrip().endswith(b"data: [DONE]")

    run_on(loop, scenario)
    assert connect_proxy.seen.connects == [f"{UPSTREAM_NAME}:{tls_mock.port}"]  # kept alive
    assert connect_proxy.seen.authorizations == [None]


@pytest.mark.parametrize(("kind", "loop"), KINDS)
def test_an_untrusted_certificate_through_the_tunnel_is_a_tls_error(
    kind: str, loop: str, connect_proxy: ConnectProxy, tls_mock: TlsMock
) -> None:
    """Without the CA bundle the origin's certificate fails, and the error says what to set."""
    over = transport(kind, through(connect_proxy.url), ca=None)

    async def scenario() -> None:
        async with client(over) as http:
            with pytest.raises(UpstreamTlsError) as caught:
                await http.post(tls_mock.url() + "/v1/chat/completions", json=BODY)
        message = str(caught.value)
        assert f"TLS certificate verification failed for {UPSTREAM_NAME}:{tls_mock.port}" in (
            message
        )
        assert "LUTHIEN_UPSTREAM_CA_BUNDLE" in message
        if isinstance(over, Http11Transport):
            assert over.pool.open_connections == 0  # the failed tunnel gave its place back

    run_on(loop, scenario)
    assert connect_proxy.seen.connects == [f"{UPSTREAM_NAME}:{tls_mock.port}"]


@pytest.mark.parametrize(("kind", "loop"), KINDS)
def test_proxy_credentials_from_the_url(
    kind: str, loop: str, tls_mock: TlsMock, throwaway_ca: ThrowawayCA
) -> None:
    """user:password in the proxy URL (percent-encoded) become the CONNECT's basic auth."""
    expected = basic("agent", "p@ss:word")
    with ConnectProxy(authorization=expected, resolve={UPSTREAM_NAME: "127.0.0.1"}) as proxy:
        proxy_url = f"http://agent:p%40ss%3Aword@127.0.0.1:{proxy.port}"

        async def scenario() -> None:
            async with client(transport(kind, through(proxy_url), ca=throwaway_ca)) as http:
                reply = await http.post(tls_mock.url() + "/v1/chat/completions", json=BODY)
            assert reply.status_code == 200

        run_on(loop, scenario)
    assert proxy.seen.authorizations == [expected]


@pytest.mark.parametrize(("kind", "loop"), KINDS)
@pytest.mark.parametrize("credentials", ["", "agent:wrong-secret@"])
def test_a_proxy_that_wants_credentials_is_a_proxy_error(
    kind: str, loop: str, credentials: str, tls_mock: TlsMock, throwaway_ca: ThrowawayCA
) -> None:
    """407 to CONNECT: a ProxyError naming the status; a wrong password is never shown."""
    with ConnectProxy(authorization=basic("agent", "right")) as proxy:
        proxy_url = f"http://{credentials}127.0.0.1:{proxy.port}"
        over = transport(kind, through(proxy_url), ca=throwaway_ca)

        async def scenario() -> None:
            async with client(over) as http:
                with pytest.raises(httpx.ProxyError) as caught:
                    await http.post(tls_mock.url() + "/v1/chat/completions", json=BODY)
            message = str(caught.value)
            assert (
                f"the outbound proxy http://127.0.0.1:{proxy.port} refused the tunnel to "
                f"{UPSTREAM_NAME}:{tls_mock.port} (407 Proxy Authentication Required)"
            ) in message
            assert "check the user and password" in message
            assert "wrong-secret" not in message and "agent" not in message
            if isinstance(over, Http11Transport):
                assert over.pool.open_connections == 0

        run_on(loop, scenario)
    assert len(proxy.seen.connects) == 1


@pytest.mark.parametrize(("kind", "loop"), KINDS)
def test_a_proxy_that_is_down_is_a_proxy_error(
    kind: str, loop: str, tls_mock: TlsMock, throwaway_ca: ThrowawayCA
) -> None:
    """Nothing listens where the proxy should be: the error names the proxy, not the origin."""
    closed = listening_socket()
    port = closed.getsockname()[1]
    closed.close()  # the port is free again: connecting is refused
    over = transport(kind, through(f"http://user:secret@127.0.0.1:{port}"), ca=throwaway_ca)

    async def scenario() -> None:
        async with client(over) as http:
            with pytest.raises(httpx.ProxyError) as caught:
                await http.post(tls_mock.url() + "/v1/chat/completions", json=BODY)
        message = str(caught.value)
        assert f"cannot connect to the outbound proxy http://127.0.0.1:{port}" in message
        assert "secret" not in message

    run_on(loop, scenario)


@pytest.mark.parametrize(("kind", "loop"), KINDS)
def test_http_origins_are_forwarded_in_absolute_form(
    kind: str, loop: str, connect_proxy: ConnectProxy
) -> None:
    """A plain-HTTP upstream through the proxy: absolute-form request line, the proxy's
    credentials on it, none of them reaching the origin."""
    proxy_url = f"http://agent:pw@127.0.0.1:{connect_proxy.port}"
    origin_port = 0

    async def scenario() -> None:
        nonlocal origin_port
        async with ScriptedServer(answer_every_request(b"forwarded")) as origin:
            origin_port = origin.port
            url = f"http://{UPSTREAM_NAME}:{origin.port}/v1/x?y=1"
            async with client(transport(kind, through(proxy_url), ca=None)) as http:
                reply = await http.post(url, content=b"payload")
        assert (reply.status_code, reply.content) == (200, b"forwarded")
        [received] = origin.peers[0].requests
        assert (received.target, received.body) == ("/v1/x?y=1", b"payload")
        assert received.header("proxy-authorization") is None
        assert received.header("host") == f"{UPSTREAM_NAME}:{origin.port}"

    run_on(loop, scenario)
    assert connect_proxy.seen.connects == []
    assert connect_proxy.seen.forwarded == [f"POST http://{UPSTREAM_NAME}:{origin_port}/v1/x?y=1"]
    assert connect_proxy.seen.authorizations == [basic("agent", "pw")]


@pytest.mark.parametrize(("kind", "loop"), KINDS)
def test_no_proxy_hosts_go_direct_and_each_origin_is_decided_once(
    kind: str, loop: str, connect_proxy: ConnectProxy, tls_mock: TlsMock, throwaway_ca: ThrowawayCA
) -> None:
    """NO_PROXY exempts 127.0.0.1 (direct TLS to the mock succeeds, the proxy sees nothing);
    the proxy of an origin is asked for once, not per request."""
    selection = proxy_selection(
        override=connect_proxy.url, https="", http="", no_proxy="localhost, 127.0.0.1"
    )
    asked: list[tuple[str, str, int]] = []

    def chooser(scheme: str, host: str, port: int) -> ProxyURL | None:
        asked.append((scheme, host, port))
        return selection.proxy_for(scheme, host, port)

    async def scenario() -> None:
        async with client(transport(kind, chooser, ca=throwaway_ca)) as http:
            for _ in range(3):
                reply = await http.post(
                    tls_mock.url("127.0.0.1") + "/v1/chat/completions", json=BODY
                )
                assert json.loads(reply.content)["object"] == "chat.completion"

    run_on(loop, scenario)
    assert connect_proxy.seen.connects == connect_proxy.seen.forwarded == []
    assert asked == [("https", "127.0.0.1", tls_mock.port)]
