"""Serve the mock upstream in-process behind an httpx client, with real incremental streaming.

`MockUpstreamTransport` plugs into `httpx.AsyncClient(transport=...)`. Unlike
`httpx.ASGITransport` it does not buffer: the response stream yields each SSE event when the
mock produces it, so `delay_ms` and `ttfb_ms` take real time, and `abort_after` surfaces as
`httpx.RemoteProtocolError` in the middle of the body, as a dropped connection would.
`Httpx2MockUpstreamTransport` (in `transport_httpx2`) is the same for `httpx2` clients, which
the `anthropic` SDK requires.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any, ClassVar

import httpx

from wire.mock.app import handle
from wire.mock.errors import MockAbort

DROPPED = "peer closed connection without sending complete message body (incomplete chunked read)"


class MockStreamMixin:
    """Byte stream over the mock's chunks; a `MockAbort` becomes the module's protocol error."""

    http_module: ClassVar[ModuleType]

    def __init__(self, chunks: AsyncIterator[bytes], request: Any) -> None:
        self._chunks = chunks
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._chunks:
                yield chunk
        except MockAbort as exc:
            raise self.http_module.RemoteProtocolError(DROPPED, request=self._request) from exc

    async def aclose(self) -> None:
        aclose = getattr(self._chunks, "aclose", None)
        if aclose is not None:
            await aclose()


class MockTransportMixin:
    """The transport logic, for any httpx-compatible module and its stream class."""

    http_module: ClassVar[ModuleType]
    stream_class: ClassVar[type[MockStreamMixin]]

    async def handle_async_request(self, request: Any) -> Any:
        """Run the mock on the request; return a response streaming the mock's bytes.

        The request's read timeout bounds the wait for the response head, as a socket read
        would (a late head is the module's `ReadTimeout`)."""
        body = await request.aread()
        read_timeout = request.extensions.get("timeout", {}).get("read")
        try:
            async with asyncio.timeout(read_timeout):
                answer = await handle(request.method, request.url.path, dict(request.headers), body)
        except TimeoutError as error:
            raise self.http_module.ReadTimeout(
                "the mock upstream sent no response head in time", request=request
            ) from error
        if answer.stream is None:
            return self.http_module.Response(
                answer.status, headers=answer.headers, content=answer.body, request=request
            )
        return self.http_module.Response(
            answer.status,
            headers=answer.headers,
            stream=self.stream_class(answer.stream, request),
            request=request,
        )


class _HttpxMockStream(MockStreamMixin, httpx.AsyncByteStream):
    http_module: ClassVar[ModuleType] = httpx


class MockUpstreamTransport(MockTransportMixin, httpx.AsyncBaseTransport):
    """`httpx.AsyncClient(transport=MockUpstreamTransport())` talks to the mock in-process."""

    http_module: ClassVar[ModuleType] = httpx
    stream_class: ClassVar[type[MockStreamMixin]] = _HttpxMockStream
