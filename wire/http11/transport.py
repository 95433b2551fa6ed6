"""`Http11Transport`: an `httpx` transport for upstream calls over plain HTTP/1.1 keep-alive.

`httpx.AsyncClient` keeps its interface (requests, responses, timeouts, error classes); only
the layer underneath changes. httpcore's pool checks the socket of every idle connection on
every request and every response, which made it the largest single cost of a proxied call; this
transport learns about closed connections from the event loop instead (see `wire.http11`).

Failures are raised as the `httpx` exceptions the default transport raises (`ConnectError`,
`ConnectTimeout`, `ReadTimeout`, `WriteTimeout`, `PoolTimeout`, `ReadError`,
`RemoteProtocolError`), so callers cannot tell the difference. A request that finds its reused
keep-alive connection closed by the upstream before any byte of a response arrived is sent
once more on a fresh connection (unless its body was a stream, which cannot be sent twice):
the upstream closed that connection while idle and never saw the request.

Outbound proxy: `proxy_for(scheme, host, port)` names the proxy of an origin (None: direct). It
is asked once per origin and the answer kept, so the hot path does a dict lookup. https origins
go through a CONNECT tunnel (`tunnel`), http origins to the proxy in absolute form with the
proxy's `Proxy-Authorization`. Proxy failures are `httpx.ProxyError`, a certificate that does
not verify `wire.egress.failures.UpstreamTlsError`, both with messages that say what to fix.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx

from wire.egress.failures import UpstreamTlsError, tls_verification_message
from wire.egress.proxy_url import ProxyURL
from wire.http11.connection import (
    ConnectionClosed,
    Http11Connection,
    ProtocolViolation,
    ResponseHead,
    WaitTimeout,
)
from wire.http11.pool import Http11Pool, Origin, PoolClosed
from wire.http11.tunnel import ProxyFailure

_DEFAULT_PORTS = {"http": 80, "https": 443}
_CHUNKED = b"chunked"
_MAX_ROUTES = 1024  # origins whose route is remembered (upstreams and judges: a handful)

ProxyChooser = Callable[[str, str, int], ProxyURL | None]


@dataclass(frozen=True, slots=True)
class _Route:
    """How requests to one origin travel: direct, tunnelled, or forwarded by a proxy."""

    proxy: ProxyURL | None
    forward: bool  # an http origin through a proxy: absolute-form requests


class Http11Transport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over a keep-alive pool; HTTPS with the given (or a default) TLS context."""

    def __init__(
        self,
        *,
        max_connections: int = 100,
        max_keepalive: int = 20,
        keepalive_expiry: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
        proxy_for: ProxyChooser | None = None,
    ) -> None:
        self._proxy_for = proxy_for
        self._routes: dict[Origin, _Route] = {}
        if ssl_context is None:
            ssl_context = httpx.create_ssl_context(trust_env=False)
        ssl_context.set_alpn_protocols(["http/1.1"])
        self.pool = Http11Pool(
            max_connections=max_connections,
            max_keepalive=max_keepalive,
            keepalive_expiry=keepalive_expiry,
            ssl_context=ssl_context,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` and return the response with its body still to be read."""
        url = request.url
        if url.scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        origin: Origin = (url.scheme, url.host, url.port or _DEFAULT_PORTS[url.scheme])
        route = self._routes.get(origin) or self._route(origin)
        timeouts = request.extensions.get("timeout", {})
        read_timeout = timeouts.get("read")
        body = request.content if _is_read(request) else None
        head = _request_head(request, route)
        for attempt in (1, 2):
            connection = await self._acquire(request, origin, route.proxy, timeouts)
            try:
                response_head = await self._exchange(request, connection, head, body, timeouts)
            except ConnectionClosed as error:
                self.pool.discard(connection)
                if (
                    attempt == 1
                    and connection.reused
                    and error.before_response
                    and body is not None  # a streamed body was consumed: it cannot go again
                ):
                    continue  # closed while idle: the upstream never saw this request
                raise httpx.RemoteProtocolError(
                    "the upstream closed the connection without sending a response"
                    if error.before_response
                    else "the upstream closed the connection mid-response",
                    request=request,
                ) from error
            except BaseException:
                self.pool.discard(connection)
                raise
            break
        return httpx.Response(
            response_head.status,
            headers=response_head.headers,
            stream=Http11ResponseStream(self.pool, connection, request, read_timeout),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": response_head.reason},
        )

    async def aclose(self) -> None:
        """Close idle connections; busy ones close when their response is closed."""
        await self.pool.aclose()

    def _route(self, origin: Origin) -> _Route:
        """Ask `proxy_for` about a new origin, once."""
        scheme, host, port = origin
        proxy = self._proxy_for(scheme, host, port) if self._proxy_for is not None else None
        route = _Route(proxy, forward=proxy is not None and scheme == "http")
        if len(self._routes) >= _MAX_ROUTES:
            self._routes.clear()
        self._routes[origin] = route
        return route

    async def _acquire(
        self,
        request: httpx.Request,
        origin: Origin,
        proxy: ProxyURL | None,
        timeouts: dict[str, float | None],
    ) -> Http11Connection:
        try:
            return await self.pool.acquire(
                origin,
                connect_timeout=timeouts.get("connect"),
                pool_timeout=timeouts.get("pool"),
                proxy=proxy,
            )
        except WaitTimeout as error:
            raise httpx.PoolTimeout(
                "no upstream connection free in time", request=request
            ) from error
        except TimeoutError as error:
            via = f" through the outbound proxy {proxy.display}" if proxy is not None else ""
            raise httpx.ConnectTimeout(
                f"connecting to the upstream{via} timed out", request=request
            ) from error
        except ProxyFailure as error:
            raise httpx.ProxyError(str(error), request=request) from error
        except ssl.SSLCertVerificationError as error:
            _, host, port = origin
            message = tls_verification_message(host, port, error)
            raise UpstreamTlsError(message, request=request) from error
        except PoolClosed as error:
            raise httpx.ConnectError(str(error), request=request) from error
        except (OSError, ssl.SSLError) as error:
            raise httpx.ConnectError(
                f"cannot connect to the upstream: {error}", request=request
            ) from error

    async def _exchange(
        self,
        request: httpx.Request,
        connection: Http11Connection,
        head: bytes,
        body: bytes | None,
        timeouts: dict[str, float | None],
    ) -> ResponseHead:
        try:
            bodiless = request.method == "HEAD"  # a response to HEAD never has a body
            if body is not None:
                connection.send(head + body, bodiless_response=bodiless)
                await connection.drain(timeouts.get("write"))
            else:
                connection.send(head, bodiless_response=bodiless)
                await _send_stream(request, connection, timeouts.get("write"))
            return await connection.read_head(timeouts.get("read"))
        except WaitTimeout as error:
            if str(error) == "write":
                raise httpx.WriteTimeout(
                    "sending to the upstream timed out", request=request
                ) from error
            raise httpx.ReadTimeout(
                "the upstream sent no response in time", request=request
            ) from error
        except ProtocolViolation as error:
            raise httpx.RemoteProtocolError(str(error), request=request) from error
        except OSError as error:
            raise httpx.WriteError(
                f"sending to the upstream failed: {error}", request=request
            ) from error


class Http11ResponseStream(httpx.AsyncByteStream):
    """The body of one response; gives the connection back to the pool at its end."""

    def __init__(
        self,
        pool: Http11Pool,
        connection: Http11Connection,
        request: httpx.Request,
        read_timeout: float | None,
    ) -> None:
        self._pool = pool
        self._connection: Http11Connection | None = connection
        self._request = request
        self._read_timeout = read_timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection = self._connection
        while connection is not None and connection is self._connection:  # not released
            try:
                chunk = await connection.read_body(self._read_timeout)
            except WaitTimeout as error:
                await self.aclose()
                raise httpx.ReadTimeout(
                    "the upstream stopped sending", request=self._request
                ) from error
            except ConnectionClosed as error:
                await self.aclose()
                raise httpx.RemoteProtocolError(
                    "the upstream closed the connection mid-response", request=self._request
                ) from error
            except ProtocolViolation as error:
                await self.aclose()
                raise httpx.RemoteProtocolError(str(error), request=self._request) from error
            except BaseException:
                await self.aclose()
                raise
            if not chunk:
                await self.aclose()
                return
            yield chunk

    async def aclose(self) -> None:
        """Return the connection (kept if its exchange ended cleanly, closed otherwise)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            self._pool.release(connection)


def _is_read(request: httpx.Request) -> bool:
    try:
        _ = request.content
    except httpx.RequestNotRead:
        return False
    return True


def _request_head(request: httpx.Request, route: _Route) -> bytes:
    """Request line and headers as they go on the wire (to a proxy: in absolute form, with the
    proxy's credentials)."""
    url = request.url
    target = url.raw_path
    if route.forward:
        target = url.raw_scheme + b"://" + url.netloc + target
    lines = [request.method.encode("ascii") + b" " + target + b" HTTP/1.1"]
    lines += [name + b": " + value for name, value in request.headers.raw]
    if route.forward and route.proxy is not None and route.proxy.authorization:
        lines.append(b"Proxy-Authorization: " + route.proxy.authorization.encode("latin-1"))
    return b"\r\n".join(lines) + b"\r\n\r\n"


async def _send_stream(
    request: httpx.Request, connection: Http11Connection, wait_s: float | None
) -> None:
    """A streamed request body, chunk-encoded when the request says so."""
    chunked = _CHUNKED in request.headers.get("transfer-encoding", "").encode("latin-1").lower()
    stream = request.stream
    assert isinstance(stream, httpx.AsyncByteStream)
    async for part in stream:
        if not part:
            continue
        connection.write(b"%x\r\n%b\r\n" % (len(part), part) if chunked else part)
        await connection.drain(wait_s)
    if chunked:
        connection.write(b"0\r\n\r\n")
