"""Real servers for the outbound-proxy tests: a CONNECT proxy, and the mock upstream over TLS.

`ConnectProxy` is an HTTP proxy on 127.0.0.1 (a port the OS picks) running in its own thread
and event loop, so synchronous tests and any event loop can use it. It records every CONNECT
(target and `Proxy-Authorization`) and every forwarded absolute-form request line, tunnels
bytes both ways, answers 407 when it wants credentials that were not sent, and 502 when it
cannot reach the target. `resolve` maps names to addresses as a corporate proxy's DNS would
(the gateway never resolves a proxied origin itself, so `upstream.test` works).

`TlsMock` serves the built-in mock upstream (`wire.mock.server`) over TLS with a certificate
from a throwaway CA (trustme, built on `cryptography`), also in its own thread. The listening
socket is bound before either server starts, so no test waits for a server to come up: early
connections wait in the backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import trustme
import uvicorn

from wire.mock.server import server_config

UPSTREAM_NAME = "upstream.test"  # a reserved name: it resolves nowhere but through the proxy
_STOP_WAIT_S = 10.0


@dataclass
class Seen:
    """What the proxy received: CONNECT targets and forwarded request lines, with the
    `Proxy-Authorization` each carried (None: none)."""

    connects: list[str] = field(default_factory=list)
    forwarded: list[str] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)


def listening_socket() -> socket.socket:
    """A TCP socket listening on 127.0.0.1 on a port the OS chose."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(100)
    return sock


class ConnectProxy:
    """A recording CONNECT / forwarding proxy in a thread (use as a context manager)."""

    def __init__(
        self, *, authorization: str | None = None, resolve: dict[str, str] | None = None
    ) -> None:
        self.required_authorization = authorization
        self.resolve = resolve or {}
        self.seen = Seen()
        self._sock = listening_socket()
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="connect-proxy", daemon=True)
        self._failure: BaseException | None = None

    def __enter__(self) -> ConnectProxy:
        self._thread.start()
        assert self._ready.wait(_STOP_WAIT_S), "the proxy thread did not start"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(_STOP_WAIT_S)
        self._sock.close()
        assert not self._thread.is_alive(), "the proxy thread did not stop"
        if self._failure is not None and exc is None:
            raise self._failure

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:  # surfaced to the test on exit
            self._failure = error
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._serve, sock=self._sock)
        self._ready.set()
        async with server:
            await self._stop.wait()  # then asyncio.run cancels the tunnels still open

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._exchange(reader, writer)
        except Exception as error:  # a bug in the proxy fails the test that used it
            self._failure = error
            writer.close()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        request_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        method, target, _ = request_line.split(" ")
        given = headers.get("proxy-authorization")
        self.seen.authorizations.append(given)
        if method == "CONNECT":
            self.seen.connects.append(target)
        else:
            self.seen.forwarded.append(f"{method} {target}")
        if self.required_authorization is not None and given != self.required_authorization:
            writer.write(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n'
            )
            await _close(writer)
            return
        await self._relay(method, target, head, reader, writer)

    async def _relay(
        self,
        method: str,
        target: str,
        head: bytes,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            first = b""
        else:  # absolute form: send on in origin form, without the proxy's credentials
            authority, _, path = target.removeprefix("http://").partition("/")
            host, _, port = authority.rpartition(":") if ":" in authority else (authority, "", "80")
            first = _origin_form(head, "/" + path)
        try:
            up_reader, up_writer = await asyncio.open_connection(
                self.resolve.get(host.strip("[]"), host.strip("[]")), int(port)
            )
        except OSError:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            await _close(writer)
            return
        if method == "CONNECT":
            writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        else:
            up_writer.write(first)
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


def _origin_form(head: bytes, path: str) -> bytes:
    request_line, rest = head.split(b"\r\n", 1)
    method = request_line.split(b" ", 1)[0]
    lines = [
        line for line in rest.split(b"\r\n") if not line.lower().startswith(b"proxy-authorization")
    ]
    return method + b" " + path.encode("latin-1") + b" HTTP/1.1\r\n" + b"\r\n".join(lines)


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except ConnectionError:
        pass  # either side went away: the other side is closed below
    finally:
        await _close(sink)


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


class ThrowawayCA:
    """A throwaway CA, its PEM file, and a server certificate for the test upstream."""

    def __init__(self, folder: Path) -> None:
        self.ca = trustme.CA()
        self.pem = folder / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.pem))
        self.server_pem = folder / "server.pem"
        leaf = self.ca.issue_cert(UPSTREAM_NAME, "127.0.0.1", "localhost")
        leaf.private_key_and_cert_chain_pem.write_to_path(str(self.server_pem))


class TlsMock:
    """`wire.mock` over HTTPS in a thread (use as a context manager)."""

    def __init__(self, ca: ThrowawayCA) -> None:
        self._sock = listening_socket()
        self.port = int(self._sock.getsockname()[1])
        config = server_config("127.0.0.1", self.port, ssl_certfile=str(ca.server_pem))
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def url(self, host: str = UPSTREAM_NAME) -> str:
        """The base URL under `host` (the proxy maps `upstream.test` to 127.0.0.1)."""
        return f"https://{host}:{self.port}"

    def __enter__(self) -> TlsMock:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(_STOP_WAIT_S)
        self._sock.close()
        assert not self._thread.is_alive(), "the TLS mock did not stop"
