"""`ProxyResponse`: what the gateway answers on `/v1/`, whichever entry path the call took.

Status, headers and either a body or an async byte stream; nothing of Django. The ASGI lane
(`gateway.asgi_lane`, production) sends it as it is; the ninja API (`gateway.api`) wraps it in
a Django response. The builders below give every answer the gateway's headers: JSON, an SSE
stream, and errors in the client's format.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from wire.errors import GatewayError, render_error
from wire.neutral import WireFormat

TRANSACTION_HEADER = "x-luthien-transaction-id"
OVERHEAD_HEADER = "x-luthien-overhead-ms"
JSON = "application/json"


@dataclass(slots=True)
class ProxyResponse:
    """One answer: `stream` is set for a streamed body (then `body` is empty)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None

    @property
    def content_type(self) -> str:
        """The `content-type` header ("" if none)."""
        return self.headers.get("content-type", "")


def json_response(
    body: dict[str, Any] | bytes,
    transaction_id: str,
    overhead_ms: float | None,
    extra: dict[str, str],
    *,
    status: int = 200,
) -> ProxyResponse:
    """A JSON response with the gateway's headers (`body` as bytes is sent as it is)."""
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = {"content-type": JSON, **extra}
    if transaction_id:
        headers[TRANSACTION_HEADER] = transaction_id
    if overhead_ms is not None:
        headers[OVERHEAD_HEADER] = f"{overhead_ms:.3f}"
    return ProxyResponse(status, headers, content)


def stream_response(
    body: AsyncIterator[bytes], transaction_id: str, extra: dict[str, str]
) -> ProxyResponse:
    """An SSE response streaming `body`."""
    headers = {"content-type": "text/event-stream", **extra}
    headers["cache-control"] = "no-cache"
    headers["x-accel-buffering"] = "no"
    headers[TRANSACTION_HEADER] = transaction_id
    return ProxyResponse(200, headers, stream=body)


def error_response(fmt: WireFormat, error: GatewayError, transaction_id: str) -> ProxyResponse:
    """The error as the real API of `fmt` would send it."""
    status, body, content_type = render_error(fmt, error)
    headers = {"content-type": content_type, **error.headers()}
    if transaction_id:
        headers[TRANSACTION_HEADER] = transaction_id
    return ProxyResponse(status, headers, body)
