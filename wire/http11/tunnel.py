"""Connections through an outbound HTTP proxy, for `Http11Pool`.

An https origin is reached through a CONNECT tunnel: a plain TCP connection to the proxy,
`CONNECT host:port` (with `Proxy-Authorization` when the proxy URL has credentials), a 2xx
answer, then TLS with the origin over the same socket (`loop.start_tls`), verified against the
origin's name. An http origin is reached by a plain connection to the proxy, which the
transport then sends requests in absolute form (`POST http://host:port/path`). The proxy
resolves the origin's name: the gateway never does.

Failures are `ProxyFailure` with a readable message (unreachable, refused, not HTTP); a
certificate the origin presents that does not verify is the `ssl` error itself.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable

from wire.egress.failures import proxy_refused_message, proxy_unreachable_message
from wire.egress.proxy_url import ProxyURL

_MAX_HEAD = 64 * 1024


class ProxyFailure(Exception):
    """The outbound proxy could not be used (the message says why, without credentials)."""


def authority(host: str, port: int) -> str:
    """`host:port`, IPv6 addresses in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def connect_request(proxy: ProxyURL, host: str, port: int) -> bytes:
    """The CONNECT request that opens a tunnel to `host:port`."""
    target = authority(host, port)
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
    if proxy.authorization:
        lines.append(f"Proxy-Authorization: {proxy.authorization}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def open_tunnel(
    proxy: ProxyURL,
    host: str,
    port: int,
    ssl_context: ssl.SSLContext,
    factory: Callable[[], asyncio.Protocol],
) -> None:
    """Connect `factory()`'s protocol to `host:port` over TLS inside a CONNECT tunnel."""
    loop = asyncio.get_running_loop()
    try:
        transport, handshake = await loop.create_connection(
            lambda: _TunnelHandshake(loop, proxy), proxy.host, proxy.port
        )
    except OSError as error:
        raise ProxyFailure(proxy_unreachable_message(proxy, error)) from error
    try:
        transport.write(connect_request(proxy, host, port))
        head = await handshake.head
        status, reason = _status_line(proxy, head)
        if not 200 <= status < 300:
            target = authority(host, port)
            raise ProxyFailure(proxy_refused_message(proxy, target, status, reason))
        protocol = factory()
        tls = await loop.start_tls(transport, protocol, ssl_context, server_hostname=host)
    except BaseException:
        transport.abort()
        raise
    assert tls is not None
    protocol.connection_made(tls)  # start_tls leaves that call to its caller


async def open_forwarding(proxy: ProxyURL, factory: Callable[[], asyncio.Protocol]) -> None:
    """Connect `factory()`'s protocol to the proxy itself (requests go in absolute form)."""
    loop = asyncio.get_running_loop()
    try:
        await loop.create_connection(factory, proxy.host, proxy.port)
    except OSError as error:
        raise ProxyFailure(proxy_unreachable_message(proxy, error)) from error


def _status_line(proxy: ProxyURL, head: bytes) -> tuple[int, str]:
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    version, _, rest = line.partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/1.") or not (code.isdigit() and len(code) == 3):
        raise ProxyFailure(
            f"the outbound proxy {proxy.display} answered CONNECT with something that is not "
            f"HTTP: {line[:80]!r}"
        )
    return int(code), reason.strip()


class _TunnelHandshake(asyncio.Protocol):
    """Reads the proxy's answer to CONNECT, up to the end of its head, then stops reading."""

    def __init__(self, loop: asyncio.AbstractEventLoop, proxy: ProxyURL) -> None:
        self.head: asyncio.Future[bytes] = loop.create_future()
        self._proxy = proxy
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        if self.head.done():
            return
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > _MAX_HEAD:
                too_long = f"the outbound proxy {self._proxy.display} answered too long a head"
                self.head.set_exception(ProxyFailure(too_long))
            return
        assert self._transport is not None
        self._transport.pause_reading()
        # A refusal may carry a body: the head is all that matters, the socket is dropped.
        self.head.set_result(bytes(self._buffer[:end]))

    def eof_received(self) -> bool | None:
        self._closed()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed()

    def _closed(self) -> None:
        if not self.head.done():
            self.head.set_exception(
                ProxyFailure(
                    f"the outbound proxy {self._proxy.display} closed the connection before "
                    "answering CONNECT"
                )
            )
