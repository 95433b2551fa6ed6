"""Fault: the client hangs up at every point of a call (raw sockets, so the point is exact):
half-way through its request body, after sending the request (before any answer), after the
response headers, and after 1, 10 and 50 stream events, in both wire formats. Each time the
gateway records the call as `cancelled` with HTTP status 499 (nothing when the request never
arrived whole) and answers the next client as if nothing happened.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.e2e.faults.services import ThrowawayDatabase, ThrowawayPostgres, wait_rows
from tests.e2e.servers import Server, gateway_env, start_gateway

pytestmark = [pytest.mark.e2e, pytest.mark.faults]
KEY = "faults-bootstrap-key"
POINTS = ["mid-request", "before-answer", "after-headers", "after-1", "after-10", "after-50"]
FORMATS = {
    "openai": ("/v1/chat/completions", {"authorization": f"Bearer {KEY}"}),
    "anthropic": ("/v1/messages", {"x-api-key": KEY, "anthropic-version": "2023-06-01"}),
}


@pytest.fixture(scope="module")
def database(throwaway_postgres: ThrowawayPostgres) -> ThrowawayDatabase:
    """This module's own database in the throwaway cluster."""
    return throwaway_postgres.clone()


@pytest.fixture(scope="module")
def gateway(
    database: ThrowawayDatabase,
    mock_server: Server,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Server]:
    """One gateway on the throwaway database for every hang-up."""
    env = gateway_env(
        database.url,
        mock_server.url,
        PROXY_API_KEY=KEY,
        REDIS_URL="",
        LUTHIEN_SPILL_DIR=str(Path(tmp_path_factory.mktemp("gone-spill"))),
    )
    server = start_gateway(env)
    try:
        yield server
    finally:
        server.stop()


def _request(path: str, headers: dict[str, str], model: str, port: int) -> tuple[bytes, bytes]:
    body = orjson.dumps(
        {
            "model": model,
            "stream": True,
            "max_tokens": 50,
            "messages": [{"role": "user", "content": "x"}],
        }
    )
    head = [f"POST {path} HTTP/1.1", f"host: 127.0.0.1:{port}", "content-type: application/json"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    head.append(f"content-length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode(), body


def _hang_up(server: Server, fmt: str, point: str, model: str) -> str | None:
    """Make one call and leave at `point`; the transaction id, if headers arrived."""
    path, headers = FORMATS[fmt]
    head, body = _request(path, headers, model, server.port)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        if point == "mid-request":
            sock.sendall(head + body[: len(body) // 2])
            return None
        sock.sendall(head + body)
        if point == "before-answer":
            return None
        received = b""
        while b"\r\n\r\n" not in received:
            received += sock.recv(65536)
        headers_part = received.split(b"\r\n\r\n", 1)[0].decode()
        transaction_id = next(
            line.split(":", 1)[1].strip()
            for line in headers_part.split("\r\n")
            if line.lower().startswith("x-luthien-transaction-id:")
        )
        if point.startswith("after-") and point != "after-headers":
            wanted = int(point.split("-")[1])
            while received.count(b"\n\n") < wanted:
                chunk = sock.recv(65536)
                assert chunk, "the stream ended before the client left"
                received += chunk
        return transaction_id


@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_client_gone_is_recorded_and_harmless(
    database: ThrowawayDatabase, gateway: Server, fmt: str, point: str
) -> None:
    tag = POINTS.index(point) + 10 * sorted(FORMATS).index(fmt) + 1000
    ttfb = "&ttfb_ms=1500" if point == "before-answer" else ""
    model = f"mock/text?chunks=400&delay_ms=10&usage_in={tag}{ttfb}"
    transaction_id = _hang_up(gateway, fmt, point, model)

    if point != "mid-request":
        if transaction_id is None:  # left before any answer: find the row by its model
            transaction_id = _row_id_by_model(database, model)
        assert wait_rows(database, [transaction_id]) == {transaction_id}
        rows = database.query(
            "SELECT status, http_status FROM activity_transaction WHERE id = %s", transaction_id
        )
        assert rows == [("cancelled", 499)]

    after = httpx.post(
        gateway.url + FORMATS[fmt][0],
        json={
            "model": "mock/echo",
            "max_tokens": 20,
            "messages": [{"role": "user", "content": "ok?"}],
        },
        headers=FORMATS[fmt][1],
        timeout=10,
    )
    assert after.status_code == 200 and "You said: ok?" in after.text


def _row_id_by_model(postgres: ThrowawayDatabase, model: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = postgres.query("SELECT id FROM activity_transaction WHERE model = %s", model)
        if rows:
            return str(rows[0][0])
        time.sleep(0.1)
    raise AssertionError(f"no transaction recorded for {model}")
