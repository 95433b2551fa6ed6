"""`Http11Transport` under `httpx.AsyncClient`, against scripted raw-TCP upstreams on 127.0.0.1.

Each upstream (`tests.gateway.http11_servers`) sends exactly the bytes a test scripts, closes
or stalls when told, and records what it received and how many connections it accepted, so
the tests see the wire, not the transport's own account of it. Every test runs on both the
standard asyncio loop and uvloop (whose transports are not `asyncio.Transport` subclasses),
each in its own `asyncio.Runner`, bounded so that a hang fails instead of blocking.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any

import httpx
import pytest
import trustme
import uvloop

from gateway.http11.transport import Http11Transport
from tests.gateway.http11_servers import (
    HANG_GUARD_S,
    Peer,
    ScriptedServer,
    answer_every_request,
    chunk,
    eventually,
    response,
)

LOOP_FACTORIES: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "asyncio": asyncio.new_event_loop,
    "uvloop": uvloop.new_event_loop,
}
CLIENT_HEADERS = {"Accept-Encoding": "identity", "User-Agent": "http11-test"}

Scenario = Callable[[], Coroutine[Any, Any, None]]


@pytest.fixture(autouse=True)
def _fresh_singletons() -> Iterator[None]:
    """These tests are pure: skip the project-wide reset (it needs Django)."""
    yield


def run_on(loop: str, scenario: Scenario) -> None:
    """Run `scenario` in a fresh `loop` event loop, bounded so that a hang fails."""

    async def bounded() -> None:
        async with asyncio.timeout(3 * HANG_GUARD_S):
            await scenario()

    with asyncio.Runner(loop_factory=LOOP_FACTORIES[loop]) as runner:
        runner.run(bounded())


def on_both_loops(scenario: Scenario) -> Callable[[str], None]:
    """Turn an async scenario into a test that runs it on each event loop."""

    @pytest.mark.parametrize("loop", list(LOOP_FACTORIES))
    def test(loop: str) -> None:
        run_on(loop, scenario)

    test.__name__ = test.__qualname__ = scenario.__name__
    test.__doc__ = scenario.__doc__
    return test


def make_client(transport: Http11Transport, **timeouts: float) -> httpx.AsyncClient:
    """A client over `transport`; timeouts not given are the hang guard."""
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(HANG_GUARD_S, **timeouts),
        headers=CLIENT_HEADERS,
        trust_env=False,
    )


async def first_chunk(response: httpx.Response) -> tuple[bytes, AsyncIterator[bytes]]:
    """The first body chunk of a streamed response, and the iterator for the rest."""
    chunks = response.aiter_raw()
    async with asyncio.timeout(HANG_GUARD_S):
        return await anext(chunks), chunks


# -- requests and responses on the wire -------------------------------------------------------


@on_both_loops
async def test_post_and_get_round_trip() -> None:
    """Request bytes reach the upstream exactly; status, headers, reason and body come back."""
    payload = b'{"model":"m","messages":[{"role":"user","content":"hi"}]}'

    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(
            b"HTTP/1.1 201 Created Here\r\n"
            b"Content-Type: application/json\r\n"
            b"X-Trace: a\r\n"
            b"X-Trace: b\r\n"
            b"Content-Length: 11\r\n"
            b"\r\n"
            b'{"id":"r1"}'
        )
        await peer.read_request()
        await peer.send(response(b"pong", reason="Fine", headers=[("Content-Type", "text/plain")]))
        await peer.wait_for_eof()

    async with ScriptedServer(handler) as server, make_client(Http11Transport()) as client:
        host = f"127.0.0.1:{server.port}"
        request = httpx.Request(
            "POST",
            f"{server.url}/v1/messages?beta=true&q=a%20b",
            headers=[
                ("Host", host),
                ("X-Request-ID", "abc-1"),
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(payload))),
            ],
            content=payload,
        )
        posted = await client.send(request)
        got = await client.get(f"{server.url}/health?verbose=1&x=%2F")

    assert posted.status_code == 201
    assert posted.http_version == "HTTP/1.1"
    assert posted.extensions["reason_phrase"] == b"Created Here"
    assert posted.reason_phrase == "Created Here"
    assert posted.headers["content-type"] == "application/json"
    assert posted.headers.get_list("x-trace") == ["a", "b"]
    assert posted.json() == {"id": "r1"}

    assert got.status_code == 200
    assert got.extensions["reason_phrase"] == b"Fine"
    assert got.headers["content-type"] == "text/plain"
    assert got.content == b"pong"

    [peer] = server.peers
    post_seen, get_seen = peer.requests
    assert post_seen.raw == (
        b"POST /v1/messages?beta=true&q=a%20b HTTP/1.1\r\n"
        + f"Host: {host}\r\n".encode()
        + b"X-Request-ID: abc-1\r\n"
        + b"Content-Type: application/json\r\n"
        + f"Content-Length: {len(payload)}\r\n".encode()
        + b"\r\n"
        + payload
    )
    assert post_seen.body == payload
    assert get_seen.method == "GET"
    assert get_seen.target == "/health?verbose=1&x=%2F"
    assert get_seen.header("host") == host
    assert get_seen.header("user-agent") == "http11-test"
    assert get_seen.header("content-length") is None
    assert get_seen.header("transfer-encoding") is None
    assert get_seen.raw.endswith(b"\r\n\r\n") and get_seen.body == b""


@on_both_loops
async def test_streamed_request_body_is_chunk_encoded() -> None:
    """An async-generator body goes out chunk-encoded; empty parts do not end it early."""

    async def parts() -> AsyncIterator[bytes]:
        yield b"hello "
        yield b""
        await asyncio.sleep(0)
        yield b"streamed "
        yield b"world"

    async with (
        ScriptedServer(answer_every_request(b"done")) as server,
        make_client(Http11Transport()) as client,
    ):
        reply = await client.post(f"{server.url}/upload", content=parts())

    assert reply.content == b"done"
    [seen] = server.peers[0].requests
    assert seen.header("transfer-encoding") == "chunked"
    assert seen.header("content-length") is None
    assert seen.raw.split(b"\r\n\r\n", 1)[1] == (
        b"6\r\nhello \r\n9\r\nstreamed \r\n5\r\nworld\r\n0\r\n\r\n"
    )
    assert seen.body == b"hello streamed world"


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
async def test_chunked_response_streams_before_it_ends() -> None:
    """The first chunk reaches the caller while the upstream still holds back the rest."""
    release = asyncio.Event()

    async def handler(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await peer.send(
                response(headers=[("Transfer-Encoding", "chunked")], content_length=False)
                + chunk(b"first")
            )
            await release.wait()
            await peer.send(chunk(b"second") + chunk(b"third") + b"0\r\nX-Checksum: abc\r\n\r\n")

    transport = Http11Transport()
    async with ScriptedServer(handler) as server, make_client(transport) as client:
        async with client.stream("GET", server.url) as streamed:
            first, rest = await first_chunk(streamed)
            assert first == b"first"
            release.set()
            assert b"".join([part async for part in rest]) == b"secondthird"
        assert transport.pool.idle_connections == 1  # the trailer ended the body cleanly
        again = await client.get(server.url)
        assert again.content == b"firstsecondthird"

    assert len(server.peers) == 1


@on_both_loops
async def test_body_delimited_by_close_is_read_whole() -> None:
    """No length, `Connection: close`: the body ends with the connection, which is not reused."""

    async def handler(peer: Peer) -> None:
        if await peer.read_request() is None:
            return
        await peer.send(response(headers=[("Connection", "close")], content_length=False))
        await peer.send(b"part one, ")
        await asyncio.sleep(0.01)
        await peer.send(b"part two")
        await peer.close()

    transport = Http11Transport()
    async with ScriptedServer(handler) as server, make_client(transport) as client:
        first = await client.get(server.url)
        assert first.content == b"part one, part two"
        assert transport.pool.open_connections == 0
        second = await client.get(server.url)
        assert second.content == b"part one, part two"

    assert len(server.peers) == 2
    assert [len(peer.requests) for peer in server.peers] == [1, 1]


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


# -- response shapes --------------------------------------------------------------------------


@on_both_loops
async def test_interim_responses_are_skipped() -> None:
    """100 Continue and 103 Early Hints before the real response are passed over."""

    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(
            b"HTTP/1.1 100 Continue\r\n\r\n" + response(b"one", headers=[("X-Final", "1")])
        )
        await peer.read_request()
        await peer.send(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n")
        await asyncio.sleep(0.01)
        await peer.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        await asyncio.sleep(0.01)
        await peer.send(response(b"two", reason="Done"))
        await peer.wait_for_eof()

    transport = Http11Transport()
    async with ScriptedServer(handler) as server, make_client(transport) as client:
        one = await client.post(server.url, content=b"1")
        two = await client.post(server.url, content=b"2")

    assert (one.status_code, one.content, one.headers["x-final"]) == (200, b"one", "1")
    assert one.extensions["reason_phrase"] == b"OK"
    assert (two.status_code, two.content) == (200, b"two")
    assert two.extensions["reason_phrase"] == b"Done"
    assert "link" not in two.headers
    assert len(server.peers) == 1


@on_both_loops
async def test_large_response_arrives_intact() -> None:
    """2 MiB with Content-Length, left unread for a while (reading pauses), then read whole."""
    body = os.urandom(2 * 1024 * 1024)

    transport = Http11Transport()
    async with (
        ScriptedServer(answer_every_request(body)) as server,
        make_client(transport) as client,
    ):
        async with client.stream("GET", server.url) as streamed:
            await asyncio.sleep(0.05)  # let far more than the pause threshold arrive
            assert await streamed.aread() == body
        assert transport.pool.idle_connections == 1
        assert (await client.get(server.url)).content == body

    assert len(server.peers) == 1


@on_both_loops
async def test_no_content_and_not_modified_leave_the_connection_reusable() -> None:
    """204 and 304 (even with a Content-Length) have no body; the connection serves on."""
    replies = iter(
        [
            b"HTTP/1.1 204 No Content\r\nX-Id: 1\r\n\r\n",
            b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n',
            b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 10\r\n\r\n',
            response(b"after"),
        ]
    )

    async def handler(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await peer.send(next(replies))

    transport = Http11Transport()
    async with ScriptedServer(handler) as server, make_client(transport) as client:
        no_content = await client.delete(server.url)
        not_modified = await client.get(server.url, headers={"If-None-Match": '"v1"'})
        sized = await client.get(server.url, headers={"If-None-Match": '"v1"'})
        after = await client.get(server.url)

    assert (no_content.status_code, no_content.content, no_content.headers["x-id"]) == (
        204,
        b"",
        "1",
    )
    assert (not_modified.status_code, not_modified.content) == (304, b"")
    assert not_modified.headers["etag"] == '"v1"'
    assert (sized.status_code, sized.content) == (304, b"")
    assert after.content == b"after"
    assert len(server.peers) == 1


@on_both_loops
async def test_head_response_has_no_body() -> None:
    """A HEAD response's Content-Length describes a body that is not sent."""

    async def handler(peer: Peer) -> None:
        while (request := await peer.read_request()) is not None:
            if request.method == "HEAD":
                await peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n")
            else:
                await peer.send(response(b"got"))

    transport = Http11Transport()
    async with ScriptedServer(handler) as server, make_client(transport, read=1.0) as client:
        head = await client.head(server.url)
        assert (head.status_code, head.headers["content-length"], head.content) == (
            200,
            "1234",
            b"",
        )
        assert (await client.get(server.url)).content == b"got"


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
