"""SIGTERM to a real gateway process with a slow stream in flight: it stops accepting, lets the
stream finish within `--timeout-graceful-shutdown` (`LUTHIEN_SHUTDOWN_GRACE_S` in `make serve`
and the image), records it, and exits; past the grace period the stream is cut and recorded
as cancelled (499)."""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from activity.models import Transaction
from tests.e2e.conftest import database_url_for_tests
from tests.e2e.servers import Server, gateway_env, start_gateway

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
KEY = "shutdown-bootstrap-key"
# uvicorn re-raises the signal once its shutdown is complete, so a clean exit is -SIGTERM too
EXITED = (0, -signal.SIGTERM)


def _gateway(mock_server: Server, tmp_path: Path, grace_s: int) -> Server:
    env = gateway_env(
        database_url_for_tests(),
        mock_server.url,
        PROXY_API_KEY=KEY,
        LUTHIEN_SPILL_DIR=str(tmp_path / "spill"),
    )
    return start_gateway(env, extra_args=("--timeout-graceful-shutdown", str(grace_s)))


def _slow_stream(server: Server, model: str) -> Iterator[httpx.Response]:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    with httpx.stream(
        "POST",
        server.url + "/v1/chat/completions",
        content=orjson.dumps(body),
        headers={"authorization": f"Bearer {KEY}", "content-type": "application/json"},
        timeout=60,
    ) as response:
        yield response


def _refuses_connections(url: str, within_s: float = 10.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/health/live", timeout=1.0)
        except httpx.ConnectError:
            return True
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    return False


def _row(transaction_id: str) -> Transaction:
    return Transaction.objects.get(id=transaction_id)


def test_in_flight_stream_finishes_after_sigterm(mock_server: Server, tmp_path: Path) -> None:
    server = _gateway(mock_server, tmp_path, grace_s=30)
    try:
        for response in _slow_stream(server, "mock/text?chunks=30&delay_ms=100"):
            transaction_id = response.headers["x-luthien-transaction-id"]
            chunks = response.iter_bytes()
            received = next(chunks)
            server.process.send_signal(signal.SIGTERM)
            assert _refuses_connections(server.url)  # new clients go elsewhere
            received += b"".join(chunks)
        assert server.process.wait(timeout=60) in EXITED
    finally:
        server.stop()
    data = [line for line in received.split(b"\n") if line.startswith(b"data: ")]
    assert data[-1] == b"data: [DONE]"
    words = sum(
        len(orjson.loads(line[6:])["choices"][0]["delta"].get("content") or "") > 0
        for line in data[:-1]
        if orjson.loads(line[6:])["choices"]
    )
    assert words == 30  # every piece arrived
    row = _row(transaction_id)  # recorded before the process exited
    assert (row.status, row.http_status) == ("completed", 200)


def test_stream_past_the_grace_period_is_cut_and_recorded(
    mock_server: Server, tmp_path: Path
) -> None:
    server = _gateway(mock_server, tmp_path, grace_s=1)
    try:
        for response in _slow_stream(server, "mock/text?chunks=200&delay_ms=200"):
            transaction_id = response.headers["x-luthien-transaction-id"]
            chunks = response.iter_bytes()
            received = next(chunks)
            server.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(httpx.HTTPError):  # closed mid-stream by the server
                received += b"".join(chunks)
        assert server.process.wait(timeout=60) in EXITED
    finally:
        server.stop()
    assert b"[DONE]" not in received
    row = _row(transaction_id)
    assert (row.status, row.http_status) == ("cancelled", 499)
