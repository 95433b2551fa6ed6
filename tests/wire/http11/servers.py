"""Scripted raw-TCP upstreams on 127.0.0.1 for the `Http11Transport` tests.

A `ScriptedServer` hands every accepted connection to the test's handler as a `Peer`: the
handler reads requests (parsed here, independently of the code under test, with the exact
bytes kept), writes whatever bytes it likes, waits, and closes when it chooses. The server
counts connections and re-raises a handler's failure when the test leaves it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import TracebackType

HANG_GUARD_S = 5.0  # bound on every wait: only a hang ever reaches it


@dataclass
class ReceivedRequest:
    """One request as the server read it off the wire."""

    raw: bytes  # head and body exactly as sent (chunk framing included)
    method: str
    target: str
    headers: list[tuple[str, str]]  # names lower-cased, in order
    body: bytes  # the body with any chunk framing removed

    def header(self, name: str) -> str | None:
        """The single value of header `name` (None when absent)."""
        values = [value for key, value in self.headers if key == name.lower()]
        assert len(values) <= 1, f"header {name} repeated: {values}"
        return values[0] if values else None


class Peer:
    """The server's side of one accepted connection."""

    def __init__(self, index: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.index = index
        self.reader = reader
        self.writer = writer
        self.requests: list[ReceivedRequest] = []
        self.eof = asyncio.Event()  # a read found the client's end of the connection

    async def read_request(self) -> ReceivedRequest | None:
        """The next request, or None when the client closed the connection between requests."""
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as error:
            assert error.partial == b"", f"client closed mid-head: {error.partial!r}"
            self.eof.set()
            return None
        except ConnectionResetError:
            self.eof.set()
            return None
        request_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        method, target, version = request_line.split(" ")
        assert version == "HTTP/1.1", request_line
        headers = []
        for line in header_lines:
            name, _, value = line.partition(":")
            headers.append((name.lower(), value.strip()))
        raw, body = head, b""
        request = ReceivedRequest(raw, method, target, headers, body)
        length = request.header("content-length")
        if request.header("transfer-encoding") == "chunked":
            assert length is None, "both content-length and chunked"
            while True:
                size_line = await self.reader.readuntil(b"\r\n")
                size = int(size_line[:-2], 16)
                data = await self.reader.readexactly(size + 2)
                assert data.endswith(b"\r\n"), data
                raw += size_line + data
                body += data[:-2]
                if size == 0:
                    break
        elif length is not None:
            body = await self.reader.readexactly(int(length))
            raw += body
        request.raw, request.body = raw, body
        self.requests.append(request)
        return request

    async def send(self, data: bytes) -> None:
        """Write `data` and wait until it is handed to the socket."""
        self.writer.write(data)
        await self.writer.drain()

    async def wait_for_eof(self) -> None:
        """Wait until the client closes the connection; it must send nothing more first."""
        try:
            rest = await asyncio.wait_for(self.reader.read(), HANG_GUARD_S)
        except ConnectionResetError:
            rest = b""
        assert rest == b"", f"unexpected bytes before the close: {rest!r}"
        self.eof.set()

    async def close(self) -> None:
        """Close the server's end (the client sees EOF)."""
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


Handler = Callable[[Peer], Awaitable[None]]


class ScriptedServer:
    """A TCP (or TLS) server on 127.0.0.1 whose every connection runs `handler`."""

    def __init__(self, handler: Handler, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self._handler = handler
        self._ssl = ssl_context
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.peers: list[Peer] = []
        self.errors: list[BaseException] = []
        self.port = 0

    @property
    def url(self) -> str:
        """The server's base URL."""
        scheme = "https" if self._ssl is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    async def __aenter__(self) -> ScriptedServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self._ssl)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()
        if exc is None and self.errors:
            raise self.errors[0]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        peer = Peer(len(self.peers), reader, writer)
        self.peers.append(peer)
        try:
            try:
                await self._handler(peer)
            except Exception as error:
                self.errors.append(error)
            finally:
                await peer.close()
        except asyncio.CancelledError:
            pass  # the server is shutting down (asyncio would log a cancelled handler)


def response(
    body: bytes = b"",
    *,
    status: int = 200,
    reason: str = "OK",
    headers: Sequence[tuple[str, str]] = (),
    content_length: bool = True,
) -> bytes:
    """A response's bytes: status line, headers, a Content-Length (unless told not to), body."""
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{name}: {value}" for name, value in headers)]
    if content_length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body (b"" gives the last chunk, without trailers)."""
    return b"%x\r\n%b\r\n" % (len(data), data)


def answer_every_request(body: bytes = b"ok") -> Handler:
    """A keep-alive upstream: answers each request with 200 and `body` until the client leaves."""

    async def handler(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await peer.send(response(body))

    return handler


async def eventually(condition: Callable[[], bool], what: str) -> None:
    """Wait (polling, bounded by the hang guard) until `condition()` holds."""
    deadline = time.monotonic() + HANG_GUARD_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.005)
