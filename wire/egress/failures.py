"""Proxy and TLS failures of upstream connections, worded the same by both transports.

    httpx.TransportError
    ├── httpx.ProxyError            the outbound proxy: unreachable, or it refused the tunnel
    └── httpx.ConnectError
        └── UpstreamTlsError        the upstream's certificate did not verify

The messages name the proxy by `ProxyURL.display` (never its credentials) and say what to
change; `gateway.upstream_call` passes them on in the client's 502.
"""

from __future__ import annotations

import ssl

import httpx

from wire.egress.proxy_url import ProxyURL


class UpstreamTlsError(httpx.ConnectError):
    """The upstream's TLS certificate did not verify against the configured trust."""


def tls_verification_message(host: str, port: int, error: ssl.SSLCertVerificationError) -> str:
    """Why the certificate of `host:port` was refused, and the setting that fixes a proxy's."""
    reason = error.verify_message or error.reason or str(error)
    return (
        f"TLS certificate verification failed for {host}:{port} ({reason}); if a "
        "TLS-inspecting proxy re-signs upstream traffic, add its CA certificate with "
        "LUTHIEN_UPSTREAM_CA_BUNDLE"
    )


def proxy_unreachable_message(proxy: ProxyURL, error: BaseException) -> str:
    """The proxy itself could not be reached."""
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    reason = reason or type(error).__name__
    return f"cannot connect to the outbound proxy {proxy.display} ({reason})"


def proxy_refused_message(proxy: ProxyURL, target: str, status: int, reason: str) -> str:
    """The proxy answered the CONNECT with a status other than 2xx."""
    hint = ""
    if status == 407:
        hint = "; it wants credentials: check the user and password in the proxy URL"
    status_line = f"{status} {reason}".strip()
    refused = f"the outbound proxy {proxy.display} refused the tunnel to {target}"
    return f"{refused} ({status_line}){hint}"


def certificate_error(error: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification failure behind `error`, if that is what it is."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
