"""`ProxyRouter`: the `LUTHIEN_UPSTREAM_TRANSPORT=httpx` choice, with per-origin proxies.

httpx's own transport takes one proxy for everything it sends, so the router keeps one
`httpx.AsyncHTTPTransport` going direct and one per proxy in use, all with the same SSL context
and limits, and picks one per origin (asked of `proxy_for` once, then remembered). httpx then
tunnels https origins with CONNECT and forwards http ones in absolute form, like
`wire.http11`. Its proxy and TLS failures are re-raised with the same messages as the
HTTP/1.1 transport's (`wire.egress.failures`).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable

import httpx

from wire.egress.failures import (
    UpstreamTlsError,
    certificate_error,
    proxy_refused_message,
    proxy_unreachable_message,
    tls_verification_message,
)
from wire.egress.proxy_url import ProxyURL

_DEFAULT_PORTS = {"http": 80, "https": 443}
_MAX_ROUTES = 1024

ProxyChooser = Callable[[str, str, int], ProxyURL | None]
_Origin = tuple[str, str, int]
_Route = tuple[httpx.AsyncHTTPTransport, ProxyURL | None]


class ProxyRouter(httpx.AsyncBaseTransport):
    """httpx's default transport, direct or through the origin's proxy."""

    def __init__(
        self, *, proxy_for: ProxyChooser, ssl_context: ssl.SSLContext, limits: httpx.Limits
    ) -> None:
        self._proxy_for = proxy_for
        self._ssl_context = ssl_context
        self._limits = limits
        self.direct = self._transport(None)
        self._via: dict[ProxyURL, httpx.AsyncHTTPTransport] = {}
        self._routes: dict[_Origin, _Route] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send through the origin's transport; proxy and TLS failures say what went wrong."""
        url = request.url
        origin = (url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme, 0))
        transport, proxy = self._routes.get(origin) or self._route(origin)
        try:
            return await transport.handle_async_request(request)
        except httpx.ProxyError as error:  # httpcore: the CONNECT answer was not 2xx
            assert proxy is not None
            status, _, reason = str(error).partition(" ")
            target = f"{origin[1]}:{origin[2]}"
            if not status.isdigit():
                raise
            message = proxy_refused_message(proxy, target, int(status), reason)
            raise httpx.ProxyError(message, request=request) from error
        except httpx.ConnectError as error:
            cause = certificate_error(error)
            if cause is not None:
                message = tls_verification_message(origin[1], origin[2], cause)
                raise UpstreamTlsError(message, request=request) from error
            if proxy is not None and _before_tls(error):
                message = proxy_unreachable_message(proxy, error)
                raise httpx.ProxyError(message, request=request) from error
            raise

    async def aclose(self) -> None:
        """Close every transport's connections."""
        await self.direct.aclose()
        for transport in self._via.values():
            await transport.aclose()

    def _route(self, origin: _Origin) -> _Route:
        proxy = self._proxy_for(*origin)
        if proxy is None:
            route: _Route = (self.direct, None)
        else:
            if proxy not in self._via:
                self._via[proxy] = self._transport(proxy)
            route = (self._via[proxy], proxy)
        if len(self._routes) >= _MAX_ROUTES:
            self._routes.clear()
        self._routes[origin] = route
        return route

    def _transport(self, proxy: ProxyURL | None) -> httpx.AsyncHTTPTransport:
        return httpx.AsyncHTTPTransport(
            verify=self._ssl_context,
            limits=self._limits,
            trust_env=False,
            proxy=_httpx_proxy(proxy) if proxy is not None else None,
        )


def _httpx_proxy(proxy: ProxyURL) -> httpx.Proxy:
    """The proxy as httpx takes it; credentials go as the header, exactly as `ProxyURL` made
    it (httpx would otherwise re-encode the user and password itself)."""
    headers = {"Proxy-Authorization": proxy.authorization} if proxy.authorization else None
    return httpx.Proxy(proxy.display, headers=headers)


def _before_tls(error: BaseException) -> bool:
    """A connect failure with no TLS error behind it: the proxy was not reached."""
    current: BaseException | None = error
    while current is not None:
        if isinstance(current, ssl.SSLError):
            return False
        current = current.__cause__ or current.__context__
    return True
