"""`ProxyURL`: an outbound HTTP proxy's address and optional basic-auth credentials.

Accepted: `http://host:port`, `http://user:password@host:port` (user and password
percent-decoded), and `host:port` without a scheme (taken as `http://`). The port defaults to
80. Only plain-HTTP proxies are supported (HTTPS upstreams go through them in a CONNECT
tunnel); `https://` and `socks*://` proxy URLs are refused with a clear message.

The credentials never appear in `repr`, `str` or `display`: only `authorization` (the
`Proxy-Authorization` header value) carries them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

DEFAULT_PROXY_PORT = 80


@dataclass(frozen=True, slots=True)
class ProxyURL:
    """Where the proxy listens, and the header that authenticates to it (None: no auth)."""

    host: str
    port: int
    authorization: str | None = field(default=None, repr=False)

    @property
    def display(self) -> str:
        """The proxy for messages and logs: `http://host:port`, never the credentials."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def __str__(self) -> str:
        return self.display


def parse_proxy_url(value: str) -> ProxyURL:
    """Parse a proxy URL (see the module docstring); `ValueError` with a readable reason."""
    text = value.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise ValueError(f"is not a valid proxy URL ({error})") from None
    scheme = parts.scheme.lower()
    if scheme != "http":
        raise ValueError(
            f"uses the scheme {scheme!r}; only http:// proxies are supported "
            "(HTTPS upstreams are tunnelled through them with CONNECT)"
        )
    if not parts.hostname:
        raise ValueError("names no proxy host")
    authorization = None
    if parts.username is not None:
        user, password = unquote(parts.username), unquote(parts.password or "")
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        authorization = f"Basic {token}"
    return ProxyURL(parts.hostname, port or DEFAULT_PROXY_PORT, authorization)
