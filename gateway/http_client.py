"""The process's one shared HTTP client for upstream calls (keep-alive, named timeouts).

`mock/*` models are served in-process by mounting the mock upstream's transport on its
internal host, so the same client and the same code path serve real and mock upstreams.
"""

from __future__ import annotations

import asyncio

import httpx
from django.conf import settings

from gateway.upstreams import MOCK_HOST

_client: list[tuple[asyncio.AbstractEventLoop, httpx.AsyncClient]] = []


def _timeout() -> httpx.Timeout:
    return httpx.Timeout(
        connect=settings.LUTHIEN_UPSTREAM_CONNECT_TIMEOUT_S,
        read=settings.LUTHIEN_UPSTREAM_READ_TIMEOUT_S,
        write=settings.LUTHIEN_UPSTREAM_CONNECT_TIMEOUT_S,
        pool=settings.LUTHIEN_UPSTREAM_CONNECT_TIMEOUT_S,
    )


def http_client() -> httpx.AsyncClient:
    """The shared client, created on first use (and again if the event loop changed: tests)."""
    loop = asyncio.get_running_loop()
    if _client and _client[0][0] is not loop:
        _client.clear()
    if not _client:
        from gateway.mock.transport import MockUpstreamTransport

        limits = httpx.Limits(
            max_connections=settings.LUTHIEN_UPSTREAM_MAX_CONNECTIONS,
            max_keepalive_connections=settings.LUTHIEN_UPSTREAM_MAX_KEEPALIVE,
            keepalive_expiry=30.0,
        )
        _client.append(
            (
                loop,
                httpx.AsyncClient(
                    timeout=_timeout(),
                    limits=limits,
                    mounts={MOCK_HOST: MockUpstreamTransport()},
                    trust_env=False,
                ),
            )
        )
    return _client[0][1]


async def close_http_client() -> None:
    """Close the shared client (shutdown, tests)."""
    while _client:
        await _client.pop()[1].aclose()
