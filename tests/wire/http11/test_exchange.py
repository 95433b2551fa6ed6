"""`Http11Transport` exchanges on the wire: requests and their bodies, chunked and
close-delimited responses, interim responses, HEAD, 204 and 304, large bodies.

Harness: `tests.wire.http11.harness` (both event loops, scripted upstreams).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import httpx

from tests.wire.http11.harness import first_chunk, make_client, on_both_loops
from tests.wire.http11.servers import (
    Peer,
    ScriptedServer,
    answer_every_request,
    chunk,
    response,
)
from wire.http11.transport import Http11Transport

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


# -- response bodies --------------------------------------------------------------------------


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
