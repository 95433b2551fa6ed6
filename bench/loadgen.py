"""A lean HTTP/1.1 keep-alive load generator on raw asyncio streams.

One connection per worker; a request's bytes are built once and written as they are. A response
is parsed just enough: the status line and the few headers that matter, then a `content-length`
body or a `transfer-encoding: chunked` body read chunk by chunk. In an event stream the arrival
of the first SSE `data:` line that carries a token (text or tool arguments) is the time to
first token (TTFT).

Two load shapes: `run_latency` (one worker, a fixed number of requests after a warm-up) and
`run_throughput` (N workers for a fixed time after a warm-up). Both can sample a `probe` (the
server's CPU seconds) exactly when the measured window opens and closes; `bench.stats` turns
a `Run` into the reported numbers.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# The first non-empty text or tool-argument delta, any spacing: OpenAI `"content":"x` and
# `"arguments":"x`, Anthropic `"text":"x` (text_delta) and `"partial_json":"x`.
_FIRST_TOKEN = re.compile(rb'"(?:content|text|arguments|partial_json)"\s*:\s*"[^"]')
_ERROR_SNIPPET = 300
_MAX_CONSECUTIVE_ERRORS = 20
_NETWORK_ERRORS = (
    OSError,
    TimeoutError,
    ValueError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
)

Probe = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where to send requests: a host, a port and a path, all on 127.0.0.1 in practice."""

    host: str
    port: int
    path: str


@dataclass(frozen=True, slots=True)
class Sample:
    """One exchange: when it ended, how long it took, its status and what the gateway said."""

    end: float
    latency: float
    ttft: float | None
    status: int
    overhead_ms: float | None = None
    error: str | None = None


@dataclass(slots=True)
class Run:
    """The measured samples of one load run, and what was sampled around them."""

    samples: list[Sample] = field(default_factory=list)
    elapsed_s: float = 0.0
    server_cpu_s: float | None = None
    client_cpu_s: float = 0.0


def build_request(endpoint: Endpoint, headers: dict[str, str], body: bytes) -> bytes:
    """The complete bytes of a keep-alive POST request."""
    lines = [f"POST {endpoint.path} HTTP/1.1", f"host: {endpoint.host}:{endpoint.port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += [f"content-length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


class Connection:
    """One keep-alive connection; reopened transparently after an error or `connection: close`."""

    def __init__(self, endpoint: Endpoint, timeout_s: float) -> None:
        self.endpoint = endpoint
        self.timeout_s = timeout_s
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def send(self, raw: bytes) -> Sample:
        """Send one request and read the whole response; never raises for network errors."""
        start = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout_s):
                return await self._exchange(raw, start)
        except _NETWORK_ERRORS as error:
            self.close()
            now = time.perf_counter()
            reason = f"{type(error).__name__}: {error}"
            return Sample(end=now, latency=now - start, ttft=None, status=0, error=reason)

    def close(self) -> None:
        """Drop the socket (the next `send` reconnects)."""
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def _exchange(self, raw: bytes, start: float) -> Sample:
        reused = self._writer is not None
        try:
            reader, head = await self._request(raw)
        except (ConnectionError, asyncio.IncompleteReadError):
            if not reused:
                raise
            self.close()  # the server closed an idle keep-alive connection: retry once
            reader, head = await self._request(raw)
        status = int(head[9:12])
        length, chunked, close, overhead = _parse_head(head)
        ttft: float | None = None
        snippet = b""
        if chunked:
            ttft, snippet = await _read_chunked(reader, start, keep=status >= 400)
        elif length is not None:
            snippet = await reader.readexactly(length)
        else:
            snippet, close = await reader.read(), True
        end = time.perf_counter()
        if close:
            self.close()
        error = None
        if status >= 400:
            error = f"HTTP {status}: {snippet[:_ERROR_SNIPPET].decode('utf-8', 'replace')}"
        return Sample(end, end - start, ttft, status, overhead, error)

    async def _request(self, raw: bytes) -> tuple[asyncio.StreamReader, bytes]:
        """Write the request (connecting first if needed) and read the response head."""
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(
                self.endpoint.host, self.endpoint.port
            )
        self._writer.write(raw)
        if self._writer.transport.get_write_buffer_size():
            await self._writer.drain()
        return self._reader, await self._reader.readuntil(b"\r\n\r\n")


def _parse_head(head: bytes) -> tuple[int | None, bool, bool, float | None]:
    """content-length, chunked?, connection: close?, x-luthien-overhead-ms from a header block."""
    length: int | None = None
    chunked = close = False
    overhead: float | None = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            close = b"close" in value.lower()
        elif name == b"x-luthien-overhead-ms":
            overhead = float(value)
    return length, chunked, close, overhead


async def _read_chunked(
    reader: asyncio.StreamReader, start: float, *, keep: bool
) -> tuple[float | None, bytes]:
    """Read a chunked body; return the TTFT and (for errors) the first bytes of the body."""
    ttft: float | None = None
    tail = b""
    kept = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0], 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers, then the blank line
                pass
            return ttft, bytes(kept)
        data = await reader.readexactly(size + 2)
        if ttft is None:
            if _FIRST_TOKEN.search(tail + data):
                ttft = time.perf_counter() - start
            tail = data[-32:]
        if keep and len(kept) < _ERROR_SNIPPET:
            kept += data[:-2]


async def run_latency(
    endpoint: Endpoint,
    raw: bytes,
    *,
    warmup: int,
    count: int,
    max_seconds: float,
    timeout_s: float,
    probe: Probe | None = None,
) -> Run:
    """One connection, `warmup` unmeasured requests, then up to `count` measured ones; the
    warm-up stops after a third of `max_seconds`, the measured part after `max_seconds`."""
    connection = Connection(endpoint, timeout_s)
    run = Run()
    try:
        warm_until = time.perf_counter() + max_seconds / 3
        for _ in range(warmup):
            if (await connection.send(raw)).status == 0:
                await asyncio.sleep(0.01)
            if time.perf_counter() > warm_until:
                break
        cpu0, client0, t0 = _read(probe), time.process_time(), time.perf_counter()
        failures = 0
        while len(run.samples) < count and time.perf_counter() - t0 < max_seconds:
            sample = await connection.send(raw)
            run.samples.append(sample)
            failures = failures + 1 if sample.error else 0
            if failures >= _MAX_CONSECUTIVE_ERRORS:
                break
        run.elapsed_s = time.perf_counter() - t0
        run.client_cpu_s = time.process_time() - client0
        run.server_cpu_s = _delta(probe, cpu0)
    finally:
        connection.close()
    return run


async def run_throughput(
    endpoint: Endpoint,
    raw: bytes,
    *,
    concurrency: int,
    warmup_s: float,
    duration_s: float,
    timeout_s: float,
    probe: Probe | None = None,
) -> Run:
    """`concurrency` workers send back to back; samples ending inside the window count."""
    stop = asyncio.Event()
    collected: list[Sample] = []
    workers = [
        asyncio.create_task(_worker(Connection(endpoint, timeout_s), raw, stop, collected))
        for _ in range(concurrency)
    ]
    run = Run()
    try:
        await asyncio.sleep(warmup_s)
        cpu0, client0, t0 = _read(probe), time.process_time(), time.perf_counter()
        await asyncio.sleep(duration_s)
        t1 = time.perf_counter()
        run.server_cpu_s = _delta(probe, cpu0)
        run.client_cpu_s = time.process_time() - client0
        run.elapsed_s = t1 - t0
        stop.set()
        await asyncio.wait(workers, timeout=min(timeout_s, 10.0))
    finally:
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    run.samples = [sample for sample in collected if t0 <= sample.end <= t1]
    return run


async def _worker(
    connection: Connection, raw: bytes, stop: asyncio.Event, out: list[Sample]
) -> None:
    failures = 0
    try:
        while not stop.is_set():
            sample = await connection.send(raw)
            out.append(sample)
            failures = failures + 1 if sample.error else 0
            if failures >= _MAX_CONSECUTIVE_ERRORS:
                return
            if sample.status == 0:
                await asyncio.sleep(0.01)
    finally:
        connection.close()


def _read(probe: Probe | None) -> float:
    return probe() if probe is not None else 0.0


def _delta(probe: Probe | None, before: float) -> float | None:
    return probe() - before if probe is not None else None
