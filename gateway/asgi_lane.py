"""The ASGI fast lane: every request under `/v1/` (but the OpenAPI docs) straight to
`gateway.dispatch`, without Django's request/middleware machinery.

Django runs each classic middleware and each request signal through `sync_to_async` (a hop to a
worker thread), which costs milliseconds per request; the proxy needs none of them (no session,
CSRF, auth or messages; measured: Django without middleware costs about twice the lane's CPU,
see docs/decisions.md). Everything else — the same endpoints through the ninja API (OpenAPI
docs, Django's test client), the admin, pages, the admin API — goes through Django as usual.
Both paths call the same `gateway.dispatch.dispatch`, so every `/v1/` answer is the same
`ProxyResponse` whichever path a request took.

The lane reads the body (up to the size limit), dispatches, and sends the `ProxyResponse` it
gets over ASGI (no body for HEAD). While streaming it watches for `http.disconnect`
and cancels the stream at once, which closes the upstream request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import Any

from django.conf import settings

from gateway.dispatch import dispatch
from gateway.inbound import RawRequest
from gateway.proxy_response import ProxyResponse

logger = logging.getLogger("gateway.asgi_lane")

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
DJANGO_PATHS = frozenset({"/v1/docs", "/v1/openapi.json"})  # the ninja API's own pages


def in_lane(scope: dict[str, Any]) -> bool:
    """Whether this request belongs to the fast lane: HTTP under `/v1/`, not the docs."""
    if scope["type"] != "http":
        return False
    path: str = scope["path"]
    return (path.startswith("/v1/") or path == "/v1") and path not in DJANGO_PATHS


async def serve(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """Answer one request over raw ASGI; a client that leaves at any point cancels it."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    body, disconnected = await _read_body(receive, settings.LUTHIEN_MAX_BODY_BYTES)
    if disconnected:
        return
    method: str = scope["method"]
    query = scope.get("query_string", b"").decode("latin-1")
    request = RawRequest(scope["path"], headers, body)
    watching = asyncio.ensure_future(_wait_disconnect(receive))
    calling = asyncio.ensure_future(dispatch(request, method=method, query=query))
    try:
        await asyncio.wait({calling, watching}, return_when=asyncio.FIRST_COMPLETED)
        if not calling.done():  # the client left while the gateway was working
            calling.cancel()
            await asyncio.gather(calling, return_exceptions=True)
            return
        response = calling.result()
        await _send_head(send, response)
        if response.stream is not None:
            await _send_stream(send, response.stream, watching)
        else:
            body = b"" if method == "HEAD" else response.body
            await send({"type": "http.response.body", "body": body})
    finally:
        watching.cancel()
        if not calling.done():  # this request was cancelled (server shutdown): so is the call
            calling.cancel()
            await asyncio.gather(calling, return_exceptions=True)


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The body, cut at `limit + 1` bytes (the pipeline answers 413), and whether the client
    left before sending it."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"", True
        chunk = message.get("body", b"")
        if size <= limit:
            parts.append(chunk)
            size += len(chunk)
        if not message.get("more_body", False):
            body = b"".join(parts)
            return body[: limit + 1], False


async def _send_head(send: Send, response: ProxyResponse) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})


async def _send_stream(
    send: Send, content: AsyncIterator[bytes], watching: asyncio.Future[None]
) -> None:
    """Send the stream; if the client disconnects first, cancel it (its cleanup runs now)."""
    streaming = asyncio.ensure_future(_pump(send, content))
    try:
        await asyncio.wait({streaming, watching}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not streaming.done():
            streaming.cancel()
        await asyncio.gather(streaming, return_exceptions=True)
    if not streaming.cancelled() and streaming.exception() is not None:
        logger.error("streaming a response failed", exc_info=streaming.exception())


async def _pump(send: Send, content: AsyncIterator[bytes]) -> None:
    async with aclosing(content) as chunks:  # type: ignore[type-var]
        async for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
