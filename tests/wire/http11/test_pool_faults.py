"""`Http11Transport` and its pool under the faults a review found: a connect cancelled late,
an abandoned upload, a queue of waiters being overtaken, bytes beyond a response, a reset
ending a close-delimited body. Same harness as the other `Http11Transport` tests
(`tests.wire.http11.harness`, both event loops)."""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

import httpx
import pytest

from tests.wire.http11.harness import LOOP_FACTORIES, on_both_loops, run_on
from tests.wire.http11.servers import (
    HANG_GUARD_S,
    Peer,
    ScriptedServer,
    answer_every_request,
    eventually,
    response,
)
from wire.http11 import connection as connection_module
from wire.http11.connection import WaitTimeout
from wire.http11.pool import Http11Pool
from wire.http11.transport import Http11Transport

POOL_TIMEOUT_S = 0.3


def _cancel_during_connection_made(monkeypatch: pytest.MonkeyPatch) -> list[asyncio.Task[Any]]:
    """The next connection's `connection_made` cancels the task put in the returned list."""
    original = connection_module.Http11Connection.connection_made
    victims: list[asyncio.Task[Any]] = []

    def connection_made(self: Any, transport: Any) -> None:
        original(self, transport)
        if victims:
            victims.pop().cancel()

    monkeypatch.setattr(connection_module.Http11Connection, "connection_made", connection_made)
    return victims


@pytest.mark.parametrize("loop", list(LOOP_FACTORIES))
def test_a_connect_cancelled_late_frees_its_place_once(
    loop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelled after the socket connected but before `create_connection` returned: the place
    is freed exactly once, so the cap still holds afterwards."""
    victims = _cancel_during_connection_made(monkeypatch)

    async def scenario() -> None:
        async with ScriptedServer(answer_every_request()) as server:
            pool = Http11Pool(max_connections=1, max_keepalive=1, keepalive_expiry=30)
            origin = ("http", "127.0.0.1", server.port)
            task = asyncio.create_task(pool.acquire(origin, connect_timeout=5, pool_timeout=5))
            victims.append(task)
            with pytest.raises(asyncio.CancelledError):
                await task
            await eventually(lambda: pool.open_connections == 0, "the place freed")
            await asyncio.sleep(0.1)  # a late connection_lost must not free it twice
            assert pool.open_connections == 0
            first = await pool.acquire(origin, connect_timeout=5, pool_timeout=5)
            with pytest.raises(WaitTimeout):
                await pool.acquire(origin, connect_timeout=5, pool_timeout=0.2)
            first.close()

    run_on(loop, scenario)


@on_both_loops
async def test_an_abandoned_upload_is_aborted_not_flushed() -> None:
    """A write timeout while a large body is still buffered: the socket is closed at once (the
    upstream must not receive the rest of an abandoned call later)."""
    release = asyncio.Event()

    async def handler(peer: Peer) -> None:
        await release.wait()  # a stalled upstream: never reads

    transport = Http11Transport(max_connections=1)
    async with ScriptedServer(handler) as server:
        client = httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(5.0, write=0.2))
        async with client:
            with pytest.raises(httpx.WriteTimeout):
                await client.post(server.url, content=b"x" * (32 * 1024 * 1024))
            assert transport.pool.open_connections == 0
            peer = server.peers[0]
            received = 0
            async with asyncio.timeout(HANG_GUARD_S):
                while data := await peer.reader.read(1 << 20):
                    received += len(data)
            assert received < 32 * 1024 * 1024  # the connection ended before the whole body
            release.set()


@on_both_loops
async def test_a_queued_request_is_served_before_newcomers() -> None:
    """With one connection, a queued request gets it when it comes back, even though another
    request is already runnable at that moment; it never waits past its pool timeout."""
    transport = Http11Transport(max_connections=1)
    async with ScriptedServer(answer_every_request(b"ok")) as server:
        client = httpx.AsyncClient(
            transport=transport, timeout=httpx.Timeout(5.0, pool=POOL_TIMEOUT_S)
        )
        async with client:
            held = await client.send(client.build_request("GET", server.url), stream=True)
            await asyncio.sleep(0.05)  # its body is in the connection's buffer
            queued = asyncio.create_task(client.get(server.url + "/queued"))
            await asyncio.sleep(0.05)  # `queued` waits for the one connection
            newcomer = asyncio.create_task(client.get(server.url + "/newcomer"))
            await held.aread()  # the connection comes back while `newcomer` is runnable
            assert (await queued).content == b"ok"
            assert (await newcomer).content == b"ok"
    targets = [request.target for peer in server.peers for request in peer.requests]
    assert targets == ["/", "/queued", "/newcomer"]


@on_both_loops
async def test_bytes_beyond_the_response_never_reach_its_body() -> None:
    """A second (partial) response right after the first: the first body is exactly its
    content, and the connection is not reused."""

    async def handler(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await peer.send(response(b"ok") + b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nX")

    transport = Http11Transport()
    async with ScriptedServer(handler) as server, httpx.AsyncClient(transport=transport) as client:
        assert (await client.get(server.url)).content == b"ok"
        assert (await client.get(server.url)).content == b"ok"
    assert len(server.peers) == 2


@on_both_loops
async def test_a_reset_is_not_the_end_of_a_close_delimited_body() -> None:
    """No length, no chunks: the body ends when the connection ends cleanly; a reset (RST)
    mid-body is an error, not a complete answer."""

    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\npartial")
        await asyncio.sleep(0.05)
        sock = peer.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        peer.writer.transport.abort()

    async with (
        ScriptedServer(handler) as server,
        httpx.AsyncClient(transport=Http11Transport()) as client,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(server.url)
