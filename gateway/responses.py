"""Django responses of the proxy: JSON, SSE stream, and errors in the client's format."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from django.http import HttpResponse, StreamingHttpResponse

from wire.errors import GatewayError, render_error
from wire.neutral import WireFormat

TRANSACTION_HEADER = "x-luthien-transaction-id"
OVERHEAD_HEADER = "x-luthien-overhead-ms"


def json_response(
    body: dict[str, Any] | bytes,
    transaction_id: str,
    overhead_ms: float | None,
    extra: dict[str, str],
) -> HttpResponse:
    """A 200 JSON response with the gateway's headers (`body` as bytes is sent as it is)."""
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    response = HttpResponse(content, content_type="application/json")
    for name, value in extra.items():
        response[name] = value
    if transaction_id:
        response[TRANSACTION_HEADER] = transaction_id
    if overhead_ms is not None:
        response[OVERHEAD_HEADER] = f"{overhead_ms:.3f}"
    return response


def stream_response(
    body: AsyncIterator[bytes], transaction_id: str, extra: dict[str, str]
) -> StreamingHttpResponse:
    """An SSE response streaming `body`."""
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response.luthien_stream = body  # type: ignore[attr-defined]  # the ASGI lane sends it as is
    for name, value in extra.items():
        response[name] = value
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    response[TRANSACTION_HEADER] = transaction_id
    return response


def error_response(fmt: WireFormat, error: GatewayError, transaction_id: str) -> HttpResponse:
    """The error as the real API of `fmt` would send it."""
    status, body, content_type = render_error(fmt, error)
    response = HttpResponse(body, status=status, content_type=content_type)
    for name, value in error.headers().items():
        response[name] = value
    if transaction_id:
        response[TRANSACTION_HEADER] = transaction_id
    return response
