"""The process's one shared client for upstream calls (keep-alive, named timeouts).

`UpstreamClient` builds `httpx.Request`s and hands them straight to a transport:
`wire.http11.Http11Transport` (event-driven keep-alive pool) unless
`LUTHIEN_UPSTREAM_TRANSPORT=httpx` asks for httpx's own, either one with the outbound proxy
and TLS trust of `wire.egress` (decided per origin once, not per request). It skips what
`httpx.AsyncClient` adds per call and a proxy does not want: no redirects (an upstream's 3xx
goes back to the client like any other status), no auth flow, no default headers
(`wire.headers` decides them all), and no cookie jar, which on a shared client would carry
one caller's upstream cookies into every other caller's requests. `mock/*` models go to the
mock upstream's in-process transport, so the same code path serves real and mock upstreams.
"""

from __future__ import annotations

from functools import lru_cache

import httpx
from django.conf import settings

from wire.egress.transports import upstream_transport
from wire.process_wide import Service
from wire.upstreams import MOCK_HOST

_MOCK_HOSTNAME = httpx.URL(MOCK_HOST).host


class UpstreamClient:
    """`build_request` + `send` (the subset of `httpx.AsyncClient` the gateway uses)."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport,
        mock_transport: httpx.AsyncBaseTransport,
        timeout: httpx.Timeout,
    ) -> None:
        self._transport = transport
        self._mock_transport = mock_transport
        self._timeout = timeout.as_dict()

    def build_request(
        self, method: str, url: str, *, content: bytes, headers: dict[str, str]
    ) -> httpx.Request:
        """A request carrying the client's timeouts."""
        return httpx.Request(
            method,
            _url(url),
            content=content,
            headers=headers,
            extensions={"timeout": self._timeout},
        )

    async def send(self, request: httpx.Request, *, stream: bool = True) -> httpx.Response:
        """Send; the body stays unread (streaming) unless `stream=False`."""
        is_mock = request.url.host == _MOCK_HOSTNAME
        transport = self._mock_transport if is_mock else self._transport
        response = await transport.handle_async_request(request)
        response.request = request
        if not stream:
            try:
                await response.aread()
            finally:
                await response.aclose()
        return response

    async def aclose(self) -> None:
        """Close both transports' connections."""
        await self._transport.aclose()
        await self._mock_transport.aclose()


@lru_cache(maxsize=256)
def _url(url: str) -> httpx.URL:
    """Parsed once per distinct upstream URL (there are a handful)."""
    return httpx.URL(url)


def _timeout() -> httpx.Timeout:
    return httpx.Timeout(
        connect=settings.LUTHIEN_UPSTREAM_CONNECT_TIMEOUT_S,
        read=settings.LUTHIEN_UPSTREAM_READ_TIMEOUT_S,
        write=settings.LUTHIEN_UPSTREAM_CONNECT_TIMEOUT_S,
        pool=settings.LUTHIEN_UPSTREAM_CONNECT_TIMEOUT_S,
    )


def new_upstream_client() -> UpstreamClient:
    """A new client as the settings configure it (transport switch, proxy, TLS, timeouts)."""
    from wire.mock.transport import MockUpstreamTransport

    return UpstreamClient(upstream_transport(), MockUpstreamTransport(), _timeout())


# Per event loop: connections belong to the loop that opened them (tests run one loop each).
_CLIENT = Service(
    "upstream client", new_upstream_client, close=UpstreamClient.aclose, per_loop=True
)


def http_client() -> UpstreamClient:
    """The shared client, created on first use (and again if the event loop changed: tests)."""
    return _CLIENT.get()


async def close_http_client() -> None:
    """Close the shared client (tests; the lifespan shutdown closes every service)."""
    await _CLIENT.aclose()
