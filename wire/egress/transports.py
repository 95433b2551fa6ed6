"""The transport of the upstream client and of the judge client, built from the settings.

Both clients get the same kind of transport (`LUTHIEN_UPSTREAM_TRANSPORT`), the same SSL
context (`tls.upstream_ssl_context`) and the same proxy choice (`proxy_selection_from_settings`),
so a judge reaches its provider exactly as an upstream call would.
"""

from __future__ import annotations

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from wire.egress.httpx_router import ProxyRouter
from wire.egress.selection import ProxyConfigError, ProxySelection, proxy_selection
from wire.egress.tls import upstream_ssl_context
from wire.http11.transport import Http11Transport

KEEPALIVE_EXPIRY_S = 30.0  # idle upstream connections close after this long


def proxy_selection_from_settings() -> ProxySelection:
    """The proxies the settings ask for; `ImproperlyConfigured` naming a bad variable."""
    try:
        return proxy_selection(
            override=settings.LUTHIEN_UPSTREAM_PROXY,
            https=settings.HTTPS_PROXY,
            http=settings.HTTP_PROXY,
            no_proxy=settings.NO_PROXY,
        )
    except ProxyConfigError as error:
        raise ImproperlyConfigured(str(error)) from None


def check_egress_settings() -> None:
    """Fail at start-up, not at the first call, when a proxy or CA setting cannot be used."""
    proxy_selection_from_settings()
    upstream_ssl_context()


def upstream_transport() -> httpx.AsyncBaseTransport:
    """A new transport as the settings configure it."""
    proxies = proxy_selection_from_settings()
    context = upstream_ssl_context()
    connections = settings.LUTHIEN_UPSTREAM_MAX_CONNECTIONS
    keepalive = settings.LUTHIEN_UPSTREAM_MAX_KEEPALIVE
    if settings.LUTHIEN_UPSTREAM_TRANSPORT == "httpx":
        limits = httpx.Limits(
            max_connections=connections,
            max_keepalive_connections=keepalive,
            keepalive_expiry=KEEPALIVE_EXPIRY_S,
        )
        return ProxyRouter(proxy_for=proxies.proxy_for, ssl_context=context, limits=limits)
    return Http11Transport(
        max_connections=connections,
        max_keepalive=keepalive,
        keepalive_expiry=KEEPALIVE_EXPIRY_S,
        ssl_context=context,
        proxy_for=proxies.proxy_for,
    )
