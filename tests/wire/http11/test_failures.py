"""`Http11Transport` failures: connect errors and timeouts, read timeouts, upstreams that
close early or send broken framing, and exchanges ended early by the caller.

Harness: `tests.wire.http11.harness` (both event loops, scripted upstreams).
"""

from __future__ import annotations

import asyncio
import socket
import ssl

import httpx
import pytest
import trustme

from tests.wire.http11.harness import first_chunk, make_client, on_both_loops
from tests.wire.http11.servers import (
    HANG_GUARD_S,
    Peer,
    ScriptedServer,
    answer_every_request,
    chunk,
    response,
)
from wire.http11.transport import Http11Transport

# -- connecting -------------------------------------------------------------------------------


@on_both_loops
async def test_connection_refused_is_connect_error() -> None:
    """Nothing listens on the port: httpx.ConnectError."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = Http11Transport()
    async with make_client(transport) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/")
        assert transport.pool.open_connections == 0


@on_both_loops
async def test_connect_timeout() -> None:
    """The SYN goes unanswered (the listener's accept queue is full): httpx.ConnectTimeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        _, filler = await asyncio.open_connection("127.0.0.1", port)  # takes the only place
        transport = Http11Transport()
        try:
            async with make_client(transport, connect=0.2) as client:
                with pytest.raises(httpx.ConnectTimeout):
                    await client.get(f"http://127.0.0.1:{port}/")
                assert transport.pool.open_connections == 0
        finally:
            filler.close()


@on_both_loops
async def test_tls_handshake_timeout_is_connect_timeout() -> None:
    """The upstream accepts TCP but never answers the TLS hello: httpx.ConnectTimeout."""

    async def handler(peer: Peer) -> None:
        await peer.reader.read()

    ca = trustme.CA()
    context = ssl.create_default_context()
    ca.configure_trust(context)
    transport = Http11Transport(ssl_context=context)
    async with ScriptedServer(handler) as server, make_client(transport, connect=0.2) as client:
        with pytest.raises(httpx.ConnectTimeout):
            await client.get(f"https://127.0.0.1:{server.port}/")
        assert transport.pool.open_connections == 0


# -- timeouts and broken responses ------------------------------------------------------------


@on_both_loops
async def test_read_timeout_waiting_for_head() -> None:
    """No response head in time: ReadTimeout; the connection is closed, not pooled."""

    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.wait_for_eof()

    transport = Http11Transport()
    async with ScriptedServer(handler) as server, make_client(transport, read=0.1) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(server.url)
        assert transport.pool.open_connections == 0
        async with asyncio.timeout(HANG_GUARD_S):
            await server.peers[0].eof.wait()


@on_both_loops
async def test_read_timeout_mid_body() -> None:
    """Head and part of the body, then silence: ReadTimeout from the body; connection closed."""

    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
        await peer.wait_for_eof()

    transport = Http11Transport()
    async with ScriptedServer(handler) as server, make_client(transport, read=0.1) as client:
        async with client.stream("GET", server.url) as streamed:
            assert streamed.status_code == 200
            with pytest.raises(httpx.ReadTimeout):
                await streamed.aread()
        assert transport.pool.open_connections == 0
        async with asyncio.timeout(HANG_GUARD_S):
            await server.peers[0].eof.wait()

        async with client.stream("GET", server.url) as streamed:
            with pytest.raises(httpx.ReadTimeout):
                async for _ in streamed.aiter_bytes():
                    pass
        assert transport.pool.open_connections == 0


@on_both_loops
async def test_upstream_closes_mid_body() -> None:
    """The connection ends before Content-Length is reached: RemoteProtocolError."""

    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
        await peer.close()

    transport = Http11Transport()
    async with ScriptedServer(handler) as server, make_client(transport) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(server.url)
        assert transport.pool.open_connections == 0


@on_both_loops
async def test_upstream_closes_mid_chunked_body() -> None:
    """The connection ends before the last chunk: RemoteProtocolError, after the chunk that came."""

    async def handler(peer: Peer) -> None:
        await peer.read_request()
        headers = [("Transfer-Encoding", "chunked")]
        await peer.send(response(headers=headers, content_length=False) + chunk(b"partial"))
        await peer.close()

    async with ScriptedServer(handler) as server, make_client(Http11Transport()) as client:
        received = b""
        with pytest.raises(httpx.RemoteProtocolError):
            async with client.stream("GET", server.url) as streamed:
                async for part in streamed.aiter_raw():
                    received += part
        assert received == b"partial"


@on_both_loops
async def test_invalid_response_is_remote_protocol_error() -> None:
    """Bytes that are no HTTP response: RemoteProtocolError; the connection is closed."""

    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"garbage\r\n\r\n")
        await peer.wait_for_eof()

    transport = Http11Transport()
    async with ScriptedServer(handler) as server, make_client(transport) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(server.url)
        assert transport.pool.open_connections == 0
        async with asyncio.timeout(HANG_GUARD_S):
            await server.peers[0].eof.wait()


@on_both_loops
async def test_invalid_chunk_framing_is_remote_protocol_error() -> None:
    """A chunk size that is not hexadecimal, mid-body: RemoteProtocolError from the body read."""

    async def handler(peer: Peer) -> None:
        await peer.read_request()
        headers = [("Transfer-Encoding", "chunked")]
        await peer.send(response(headers=headers, content_length=False) + chunk(b"good"))
        await asyncio.sleep(0.01)
        await peer.send(b"zz\r\nbad\r\n")
        await peer.wait_for_eof()

    transport = Http11Transport()
    async with ScriptedServer(handler) as server, make_client(transport) as client:
        async with client.stream("GET", server.url) as streamed:
            with pytest.raises(httpx.RemoteProtocolError):
                await streamed.aread()
        assert transport.pool.open_connections == 0


# -- ending exchanges early -------------------------------------------------------------------


@on_both_loops
async def test_closing_a_response_early_closes_its_connection() -> None:
    """Leaving a stream after its first chunk closes that connection; the next request works."""

    async def handler(peer: Peer) -> None:
        if peer.index == 0:
            await peer.read_request()
            headers = [("Transfer-Encoding", "chunked")]
            await peer.send(response(headers=headers, content_length=False) + chunk(b"first"))
            await peer.wait_for_eof()
        else:
            await answer_every_request(b"next")(peer)

    transport = Http11Transport()
    async with ScriptedServer(handler) as server, make_client(transport) as client:
        async with client.stream("GET", server.url) as streamed:
            first, _ = await first_chunk(streamed)
            assert first == b"first"
        assert transport.pool.open_connections == 0
        async with asyncio.timeout(HANG_GUARD_S):
            await server.peers[0].eof.wait()
        assert (await client.get(server.url)).content == b"next"

    assert len(server.peers) == 2


@on_both_loops
async def test_cancelled_while_waiting_for_head() -> None:
    """Cancelling the caller while it waits for the head closes the connection at once."""
    request_seen = asyncio.Event()

    async def handler(peer: Peer) -> None:
        await peer.read_request()
        request_seen.set()
        await peer.wait_for_eof()

    transport = Http11Transport()
    async with ScriptedServer(handler) as server, make_client(transport) as client:
        call = asyncio.create_task(client.get(server.url))
        async with asyncio.timeout(HANG_GUARD_S):
            await request_seen.wait()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert transport.pool.open_connections == 0
        async with asyncio.timeout(HANG_GUARD_S):
            await server.peers[0].eof.wait()
