"""`Http11Transport` keep-alive: connections reused, closed on `Connection: close`, expired
or surplus to max_keepalive, and the upstream closing idle ones (with the one retry the
close/reuse race allows).

Harness: `tests.wire.http11.harness` (both event loops, scripted upstreams).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.wire.http11.harness import make_client, on_both_loops
from tests.wire.http11.servers import (
    HANG_GUARD_S,
    Peer,
    ScriptedServer,
    answer_every_request,
    eventually,
    response,
)
from wire.http11.transport import Http11Transport

# -- keep-alive -------------------------------------------------------------------------------


@on_both_loops
async def test_sequential_requests_share_one_connection() -> None:
    """Three requests in a row use one upstream connection, idle in the pool between them."""
    transport = Http11Transport()
    async with (
        ScriptedServer(answer_every_request(b"hello")) as server,
        make_client(transport) as client,
    ):
        for n in range(3):
            async with client.stream("GET", f"{server.url}/n/{n}") as streamed:
                assert (transport.pool.open_connections, transport.pool.idle_connections) == (1, 0)
                assert await streamed.aread() == b"hello"
            assert (transport.pool.open_connections, transport.pool.idle_connections) == (1, 1)

    [peer] = server.peers
    assert [request.target for request in peer.requests] == ["/n/0", "/n/1", "/n/2"]


@on_both_loops
async def test_connection_close_header_prevents_reuse() -> None:
    """A framed response that says `Connection: close`: the client closes, the next connects."""

    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(response(b"bye", headers=[("Connection", "close")]))
        await peer.wait_for_eof()  # the client is the one to close

    transport = Http11Transport()
    async with ScriptedServer(handler) as server, make_client(transport) as client:
        assert (await client.get(server.url)).content == b"bye"
        assert transport.pool.open_connections == 0
        async with asyncio.timeout(HANG_GUARD_S):
            await server.peers[0].eof.wait()
        assert (await client.get(server.url)).content == b"bye"

    assert len(server.peers) == 2


@on_both_loops
async def test_max_keepalive_closes_surplus_connections() -> None:
    """Three concurrent requests open three connections; only one stays idle afterwards."""
    all_connected = asyncio.Event()

    async def handler(peer: Peer) -> None:
        if peer.index == 2:
            all_connected.set()
        await peer.read_request()
        await all_connected.wait()
        await peer.send(response(b"ok"))
        if await peer.read_request() is None:
            return
        await peer.send(response(b"ok"))

    transport = Http11Transport(max_keepalive=1)
    async with ScriptedServer(handler) as server, make_client(transport) as client:
        replies = await asyncio.gather(*(client.get(server.url) for _ in range(3)))
        assert [reply.content for reply in replies] == [b"ok"] * 3
        assert (transport.pool.open_connections, transport.pool.idle_connections) == (1, 1)
        await eventually(
            lambda: sum(peer.eof.is_set() for peer in server.peers) == 2, "two connections closed"
        )
        [kept] = [peer for peer in server.peers if not peer.eof.is_set()]
        assert (await client.get(server.url)).content == b"ok"
        assert len(kept.requests) == 2

    assert len(server.peers) == 3


@on_both_loops
async def test_keepalive_expiry_closes_stale_connection() -> None:
    """A connection idle longer than keepalive_expiry is closed and replaced."""
    transport = Http11Transport(keepalive_expiry=0.05)
    async with (
        ScriptedServer(answer_every_request(b"ok")) as server,
        make_client(transport) as client,
    ):
        assert (await client.get(server.url)).content == b"ok"
        await asyncio.sleep(0.1)
        assert (await client.get(server.url)).content == b"ok"
        async with asyncio.timeout(HANG_GUARD_S):
            await server.peers[0].eof.wait()
        assert (transport.pool.open_connections, transport.pool.idle_connections) == (1, 1)

    assert len(server.peers) == 2
    assert [len(peer.requests) for peer in server.peers] == [1, 1]


# -- the upstream closes keep-alive connections -------------------------------------------------


@on_both_loops
async def test_idle_connection_closed_by_upstream_is_dropped() -> None:
    """The pool forgets a connection the moment the upstream closes it; the next one connects."""

    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(response(b"once"))
        await peer.close()  # an idle-timeout on the upstream's side

    transport = Http11Transport()
    async with ScriptedServer(handler) as server, make_client(transport) as client:
        assert (await client.get(server.url)).content == b"once"
        await eventually(lambda: transport.pool.open_connections == 0, "the pool to see the close")
        assert transport.pool.idle_connections == 0
        assert (await client.get(server.url)).content == b"once"

    assert len(server.peers) == 2


@on_both_loops
async def test_reused_connection_closed_before_response_is_retried() -> None:
    """The upstream reads the request on a reused connection and closes: sent again, fresh."""

    async def handler(peer: Peer) -> None:
        if peer.index == 0:
            await peer.read_request()
            await peer.send(response(b"from the first"))
            await peer.read_request()
            await peer.close()  # closes instead of answering: the close/reuse race
        else:
            await answer_every_request(b"from the second")(peer)

    transport = Http11Transport()
    async with ScriptedServer(handler) as server, make_client(transport) as client:
        assert (await client.post(server.url, content=b"one")).content == b"from the first"
        retried = await client.post(server.url, content=b"two")
        assert retried.content == b"from the second"
        assert transport.pool.idle_connections == 1

    first, second = server.peers
    assert [request.body for request in first.requests] == [b"one", b"two"]
    assert [request.body for request in second.requests] == [b"two"]


@on_both_loops
async def test_retry_happens_only_once() -> None:
    """The retry's fresh connection also closes without a response: RemoteProtocolError."""

    async def handler(peer: Peer) -> None:
        if peer.index == 0:
            await peer.read_request()
            await peer.send(response(b"ok"))
        await peer.read_request()
        await peer.close()

    transport = Http11Transport()
    async with ScriptedServer(handler) as server, make_client(transport) as client:
        assert (await client.get(server.url)).content == b"ok"
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(server.url)
        assert transport.pool.open_connections == 0

    assert len(server.peers) == 2
    assert [len(peer.requests) for peer in server.peers] == [2, 1]


@on_both_loops
async def test_new_connection_closed_before_response_is_not_retried() -> None:
    """A fresh connection the upstream closes unanswered: RemoteProtocolError, no second try."""

    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.close()

    transport = Http11Transport()
    async with ScriptedServer(handler) as server, make_client(transport) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(server.url, content=b"x")
        assert transport.pool.open_connections == 0

    assert len(server.peers) == 1


@on_both_loops
async def test_streamed_body_on_closed_reused_connection_is_not_resent() -> None:
    """A streamed body cannot be sent twice: the close/reuse race gives RemoteProtocolError."""

    async def handler(peer: Peer) -> None:
        if peer.index == 0:
            await peer.read_request()
            await peer.send(response(b"ok"))
            await peer.read_request()
            await peer.close()
        else:
            await answer_every_request()(peer)

    async def parts() -> AsyncIterator[bytes]:
        yield b"only "
        yield b"once"

    async with ScriptedServer(handler) as server, make_client(Http11Transport()) as client:
        assert (await client.get(server.url)).content == b"ok"
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(server.url, content=parts())

    assert len(server.peers) == 1
    assert server.peers[0].requests[1].body == b"only once"
