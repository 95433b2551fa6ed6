"""One HTTP/1.1 client connection to an upstream, as an asyncio protocol.

The socket's events drive it (no polling): bytes go straight into `httptools`' C parser, body
bytes wait in a small buffer that the reader takes in one piece (everything that arrived
together comes out as one chunk), and the end of the connection is known the moment the event
loop sees it. A connection carries one exchange at a time; `Http11Pool` hands it out and takes
it back.

Waiting (for the response head, the next body bytes, or room in the send buffer) uses one
future and, only when a wait really happens, one timer: no task, no `asyncio.timeout` context.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import cast

import httptools

_PAUSE_READING_AT = 256 * 1024  # buffered body bytes that pause the socket until read


class ConnectionClosed(Exception):
    """The peer closed the connection before the exchange ended."""

    def __init__(self, message: str, *, before_response: bool) -> None:
        super().__init__(message)
        self.before_response = before_response


class ProtocolViolation(Exception):
    """The upstream sent bytes that are not a valid HTTP/1.1 response."""


class WaitTimeout(Exception):
    """A read or write did not complete in time."""


class ResponseHead:
    """Status, reason and raw headers of a response, as received."""

    __slots__ = ("headers", "reason", "status")

    def __init__(self, status: int, reason: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers


class Http11Connection(asyncio.Protocol):
    """A keep-alive client connection; `exchange_*` methods serve one request at a time."""

    def __init__(self, origin: tuple[str, str, int], on_lost: Callable[[Http11Connection], None]):
        self.origin = origin
        self.idle_since = time.monotonic()
        self.closed = False
        self.reused = False  # served an earlier exchange
        self._on_lost = on_lost
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self._reset_exchange()
        self._write_paused = False
        self._read_paused = False
        self._exchanging = False  # a request was sent and its response has not ended yet

    # -- the exchange -------------------------------------------------------------------------

    def _reset_exchange(self) -> None:
        self._reason = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._head: ResponseHead | None = None
        self._body: list[bytes] = []
        self._buffered = 0
        self._complete = False
        self._received = False
        self._framed = False  # content-length or chunked: the end is in the bytes, not the EOF
        self._keep_alive = False
        self._bodiless = False  # the response to a HEAD request: no body, whatever it says

    def send(self, data: bytes, *, bodiless_response: bool = False) -> None:
        """Start an exchange: write the whole request (head and body).

        `bodiless_response` (a HEAD request): the response ends with its head. The parser
        cannot be told to skip the body its headers announce, so the connection then closes.
        """
        if self.closed or self._transport is None:
            raise ConnectionClosed("connection closed before the request", before_response=True)
        self._reset_exchange()
        self._bodiless = bodiless_response
        self._exchanging = True
        self._transport.write(data)

    def write(self, data: bytes) -> None:
        """More of the request body (a streamed request)."""
        if self.closed or self._transport is None:
            raise ConnectionClosed("connection closed while sending", before_response=True)
        self._transport.write(data)

    async def drain(self, wait_s: float | None) -> None:
        """Wait until the send buffer has room again (large bodies)."""
        while self._write_paused and not self.closed:
            await self._wait(wait_s, "write")
        self._raise_if_failed()

    async def read_head(self, wait_s: float | None) -> ResponseHead:
        """The response's status line and headers."""
        while self._head is None:
            self._raise_if_failed()
            await self._wait(wait_s, "read")
        return self._head

    async def read_body(self, wait_s: float | None) -> bytes:
        """Everything of the body that has arrived (waiting for some); b"" at its end."""
        while not self._body:
            if self._complete:
                return b""
            self._raise_if_failed()
            await self._wait(wait_s, "read")
        body = self._body
        chunk = body[0] if len(body) == 1 else b"".join(body)
        body.clear()
        self._buffered = 0
        if self._read_paused and self._transport is not None and not self.closed:
            self._read_paused = False
            self._transport.resume_reading()
        return chunk

    @property
    def reusable(self) -> bool:
        """Whether the exchange ended cleanly on a connection that stays open."""
        return self._complete and self._keep_alive and not self.closed and not self._body

    def close(self) -> None:
        """Close the socket; the peer sees it at once. Mid-exchange the socket is aborted:
        unsent request bytes are dropped, not flushed (an abandoned call must not still reach
        the upstream)."""
        if self._transport is not None and not self.closed:
            if self._exchanging:
                self._transport.abort()
            else:
                self._transport.close()
        self._mark_closed(None)

    # -- waiting ------------------------------------------------------------------------------

    async def _wait(self, wait_s: float | None, what: str) -> None:
        waiter = self._loop.create_future()
        self._waiter = waiter
        timer = None
        if wait_s is not None:
            timer = self._loop.call_later(wait_s, _expire, waiter, what)
        try:
            await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error
        if self.closed and not self._complete:
            raise ConnectionClosed(
                "the upstream closed the connection", before_response=not self._received
            )

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        self._received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(ProtocolViolation(f"invalid HTTP response from upstream: {error}"))
            return
        if self._buffered > _PAUSE_READING_AT and not self._read_paused:
            self._read_paused = True
            assert self._transport is not None
            self._transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool | None:
        self._end_of_stream(clean=True)  # no longer usable, from this moment
        return None  # close the transport: a client connection does not half-close

    def connection_lost(self, exc: Exception | None) -> None:
        self._end_of_stream(clean=exc is None)

    def _end_of_stream(self, *, clean: bool) -> None:
        if clean and self._head is not None and not self._complete and not self._framed:
            self._complete = True  # a body delimited by the end of the connection
            self._keep_alive = False
            self._exchanging = False
        self._mark_closed(None)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._wake()

    def _mark_closed(self, exc: Exception | None) -> None:
        if self.closed:
            return
        self.closed = True
        self._write_paused = False
        self._wake()
        self._on_lost(self)

    def _fail(self, error: BaseException) -> None:
        self._error = error
        self.close()

    # -- httptools callbacks ------------------------------------------------------------------

    def on_message_begin(self) -> None:
        if not self._exchanging:  # bytes after the response, or while idle: never a body
            raise ProtocolViolation("the upstream sent more than one response")

    def on_status(self, reason: bytes) -> None:
        self._reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200:  # an interim response (100 Continue, 103 Early Hints)
            self._reason, self._headers = b"", []
            return
        for name, value in self._headers:
            lowered = name.lower()
            if lowered == b"content-length" or (
                lowered == b"transfer-encoding" and b"chunked" in value.lower()
            ):
                self._framed = True
        if status in (204, 304):
            self._framed = True
        self._head = ResponseHead(status, self._reason, self._headers)
        if self._bodiless:
            self._framed = self._complete = True
            self._exchanging = False
            self._keep_alive = False  # the parser would take the next response for this body

    def on_body(self, body: bytes) -> None:
        if self._bodiless:
            return  # bytes a HEAD response should not have sent (the connection closes)
        self._body.append(body)
        self._buffered += len(body)

    def on_message_complete(self) -> None:
        if self._head is None:
            return  # the end of an interim response
        self._complete = True
        self._exchanging = False
        self._keep_alive = self._parser.should_keep_alive() and not self._bodiless


def _expire(waiter: asyncio.Future[None], what: str) -> None:
    if not waiter.done():
        waiter.set_exception(WaitTimeout(what))
