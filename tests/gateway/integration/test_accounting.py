"""`overhead_ms` is only the gateway's own time, on every outcome; a cancelled call is 499.

The clock of the pipeline is a fake that moves only while the (fake) upstream is waited on:
every millisecond the record shows as latency must then be upstream time, so the gateway's
overhead is exactly 0 whatever the outcome (timeout, error status, refused connection,
client gone). Before the fix a failed or cancelled upstream wait counted as overhead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from gateway import taps
from gateway.transaction_record import TransactionRecord
from luthien_site.asgi import application
from policies.context import Decision
from tests.gateway.integration.conftest import Proxy

USER = [{"role": "user", "content": "hi"}]
UPSTREAM_WAIT_S = 10.0


class FakeTime:
    """`time` for the pipeline's modules: `perf_counter` moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def perf_counter(self) -> float:
        return self.now

    def time(self) -> float:
        return time.time()


class Finished:
    """A transaction observer keeping every finished record."""

    def __init__(self) -> None:
        self.records: list[TransactionRecord] = []

    def started(self, record: TransactionRecord) -> None:
        pass

    def decision(self, record: TransactionRecord, decision: Decision) -> None:
        pass

    def finished(self, record: TransactionRecord) -> None:
        self.records.append(record)


class FakeUpstream:
    """An upstream client whose call takes UPSTREAM_WAIT_S on the fake clock, then does
    `outcome`: raise an httpx error, answer an httpx.Response, or hang (set `waiting`)."""

    def __init__(self, clock: FakeTime, outcome: Any) -> None:
        self.clock = clock
        self.outcome = outcome
        self.waiting = asyncio.Event()

    def build_request(self, method: str, url: str, **kwargs: Any) -> httpx.Request:
        return httpx.Request(method, url, **kwargs)

    async def send(self, request: httpx.Request, *, stream: bool = True) -> httpx.Response:
        self.clock.now += UPSTREAM_WAIT_S
        if self.outcome == "hang":
            self.waiting.set()
            await asyncio.Event().wait()
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    for module in ("gateway.timing", "gateway.pipeline", "gateway.exchange"):
        monkeypatch.setattr(f"{module}.time", fake)
    return fake


@pytest.fixture
def finished() -> Iterator[Finished]:
    observer = Finished()
    taps.observer_add(observer)
    yield observer
    taps.observer_remove(observer)


def _upstream(monkeypatch: pytest.MonkeyPatch, upstream: FakeUpstream) -> None:
    monkeypatch.setattr("gateway.upstream_call.http_client", lambda: upstream)


@pytest.mark.parametrize(
    ("outcome", "status", "recorded"),
    [
        (httpx.ReadTimeout("slow"), 504, "upstream_error"),
        (httpx.ConnectError("refused"), 502, "upstream_error"),
        (httpx.Response(500, json={"error": {"message": "boom"}}), 500, "upstream_error"),
    ],
    ids=["timeout", "refused", "error-status"],
)
async def test_failed_upstream_wait_is_not_overhead(
    proxy: Proxy,
    clock: FakeTime,
    finished: Finished,
    monkeypatch: pytest.MonkeyPatch,
    outcome: Any,
    status: int,
    recorded: str,
) -> None:
    _upstream(monkeypatch, FakeUpstream(clock, outcome))
    response = await proxy.openai({"model": "mock/echo", "messages": USER})
    assert response.status_code == status
    [record] = finished.records
    assert record.status == recorded
    assert record.latency_ms == UPSTREAM_WAIT_S * 1000
    assert record.overhead_ms == 0.0


async def test_client_gone_while_waiting_is_499_and_not_overhead(
    proxy: Proxy, clock: FakeTime, finished: Finished, monkeypatch: pytest.MonkeyPatch
) -> None:
    upstream = FakeUpstream(clock, "hang")
    _upstream(monkeypatch, upstream)
    call = asyncio.create_task(proxy.anthropic({"model": "mock/echo", "messages": USER}))
    await upstream.waiting.wait()
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    [record] = finished.records
    assert (record.status, record.http_status) == ("cancelled", 499)
    assert record.latency_ms == UPSTREAM_WAIT_S * 1000
    assert record.overhead_ms == 0.0


async def test_client_gone_mid_stream_is_499(proxy: Proxy, finished: Finished) -> None:
    """A stream whose client disconnects after the first bytes is cancelled and recorded 499
    (driven over raw ASGI: the test client would read the whole body first)."""
    body = orjson.dumps(
        {"model": "mock/text?chunks=50&delay_ms=20", "messages": USER, "stream": True}
    )
    first_bytes = asyncio.Event()
    sent_body = False

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await first_bytes.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            first_bytes.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/chat/completions",
        "raw_path": b"/v1/chat/completions",
        "query_string": b"",
        "headers": [
            (b"authorization", f"Bearer {proxy.key}".encode()),
            (b"content-type", b"application/json"),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    await application(scope, receive, send)
    [record] = finished.records
    assert (record.status, record.http_status) == ("cancelled", 499)
    assert record.stream
