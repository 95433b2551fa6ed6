"""`Http11Transport`'s pool: the max_connections cap, queued requests and PoolTimeout,
cancelled waiters, evicting another origin's idle connection, closing the transport.

Harness: `tests.wire.http11.harness` (both event loops, scripted upstreams).
"""

from __future__ import annotations

import asyncio

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

# -- the pool ---------------------------------------------------------------------------------


@on_both_loops
async def test_max_connections_queues_requests() -> None:
    """With one connection allowed, a second request waits for it instead of connecting."""
    answer = asyncio.Event()

    async def handler(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await answer.wait()
            await peer.send(response(b"ok"))

    transport = Http11Transport(max_connections=1)
    async with ScriptedServer(handler) as server, make_client(transport) as client:
        requests = [asyncio.create_task(client.get(f"{server.url}/{n}")) for n in range(2)]
        await eventually(
            lambda: sum(len(peer.requests) for peer in server.peers) == 1, "the first request"
        )
        await asyncio.sleep(0.05)  # room for a (wrong) second connection to show up
        assert len(server.peers) == 1
        assert not any(request.done() for request in requests)
        answer.set()
        replies = await asyncio.gather(*requests)

    assert [reply.content for reply in replies] == [b"ok", b"ok"]
    [peer] = server.peers
    assert sorted(request.target for request in peer.requests) == ["/0", "/1"]


@on_both_loops
async def test_pool_timeout_while_the_only_connection_is_busy() -> None:
    """The one connection is held by an unread response: the next request gets PoolTimeout."""
    transport = Http11Transport(max_connections=1)
    async with (
        ScriptedServer(answer_every_request(b"held")) as server,
        make_client(transport, pool=0.1) as client,
    ):
        async with client.stream("GET", server.url) as held:
            with pytest.raises(httpx.PoolTimeout):
                await client.get(server.url)
            assert await held.aread() == b"held"
        assert (await client.get(server.url)).content == b"held"

    assert len(server.peers) == 1


@on_both_loops
async def test_cancelled_waiter_passes_its_turn_on() -> None:
    """A queued request cancelled just as it is woken must not strand the request behind it."""
    transport = Http11Transport(max_connections=1)
    async with (
        ScriptedServer(answer_every_request(b"ok")) as server,
        make_client(transport) as client,
    ):
        held = await client.send(client.build_request("GET", server.url), stream=True)
        first = asyncio.create_task(client.get(server.url))
        second = asyncio.create_task(client.get(server.url, timeout=httpx.Timeout(5.0)))
        await asyncio.sleep(0.05)  # both queue for the one connection
        assert not first.done() and not second.done()
        await held.aread()  # the connection goes back and wakes `first`...
        first.cancel()  # ...which is cancelled before it runs
        with pytest.raises(asyncio.CancelledError):
            await first
        assert (await second).content == b"ok"

    assert len(server.peers) == 1


@on_both_loops
async def test_other_origin_idle_connection_is_evicted_at_the_cap() -> None:
    """At max_connections, an idle connection to another origin makes room for a new one."""
    transport = Http11Transport(max_connections=1)
    async with (
        ScriptedServer(answer_every_request(b"a")) as first,
        ScriptedServer(answer_every_request(b"b")) as second,
        make_client(transport, pool=0.5) as client,
    ):
        assert (await client.get(first.url)).content == b"a"
        assert (await client.get(second.url)).content == b"b"
        async with asyncio.timeout(HANG_GUARD_S):
            await first.peers[0].eof.wait()
        assert (transport.pool.open_connections, transport.pool.idle_connections) == (1, 1)


@on_both_loops
async def test_transport_aclose_closes_idle_connections() -> None:
    """Closing the client closes its idle upstream connections."""
    transport = Http11Transport()
    async with ScriptedServer(answer_every_request()) as server:
        async with make_client(transport) as client:
            assert (await client.get(server.url)).content == b"ok"
        assert transport.pool.open_connections == 0
        async with asyncio.timeout(HANG_GUARD_S):
            await server.peers[0].eof.wait()
