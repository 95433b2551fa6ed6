"""`Http11Transport` over TLS: round trips and keep-alive to a trusted server, and an
untrusted certificate refused.

Harness: `tests.wire.http11.harness` (both event loops, scripted upstreams).
"""

from __future__ import annotations

import ssl

import httpx
import pytest
import trustme

from tests.wire.http11.harness import LOOP_FACTORIES, make_client, run_on
from tests.wire.http11.servers import Peer, ScriptedServer, answer_every_request
from wire.http11.transport import Http11Transport

# -- HTTPS ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def test_ca() -> trustme.CA:
    """A throwaway certificate authority."""
    return trustme.CA()


def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    """A server context with a certificate for 127.0.0.1 issued by `ca`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    context.set_alpn_protocols(["http/1.1"])
    return context


def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    """A client context that trusts `ca` only."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.mark.parametrize("loop", list(LOOP_FACTORIES))
def test_https_round_trip_and_keep_alive(loop: str, test_ca: trustme.CA) -> None:
    """Requests over TLS to a server whose CA the context trusts; ALPN says http/1.1."""
    alpn: list[str | None] = []

    async def handler(peer: Peer) -> None:
        alpn.append(peer.writer.get_extra_info("ssl_object").selected_alpn_protocol())
        await answer_every_request(b"secure")(peer)

    async def scenario() -> None:
        transport = Http11Transport(ssl_context=client_tls(test_ca))
        async with (
            ScriptedServer(handler, ssl_context=server_tls(test_ca)) as server,
            make_client(transport) as client,
        ):
            assert server.url.startswith("https://")
            for _ in range(2):
                reply = await client.post(f"{server.url}/tls?x=1", content=b"payload")
                assert (reply.status_code, reply.content) == (200, b"secure")
        assert alpn == ["http/1.1"]
        [peer] = server.peers
        assert [(r.target, r.body) for r in peer.requests] == [("/tls?x=1", b"payload")] * 2

    run_on(loop, scenario)


@pytest.mark.parametrize("loop", list(LOOP_FACTORIES))
def test_https_untrusted_certificate_is_connect_error(loop: str, test_ca: trustme.CA) -> None:
    """A certificate from a CA the client does not trust: httpx.ConnectError."""

    async def scenario() -> None:
        transport = Http11Transport(ssl_context=client_tls(trustme.CA()))
        async with (
            ScriptedServer(answer_every_request(), ssl_context=server_tls(test_ca)) as server,
            make_client(transport) as client,
        ):
            with pytest.raises(httpx.ConnectError):
                await client.get(server.url)
            assert transport.pool.open_connections == 0
            assert server.peers == []

    run_on(loop, scenario)
