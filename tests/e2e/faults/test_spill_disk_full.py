"""Fault: the database is down and the spill directory cannot take more bytes (disk full).

The gateway process runs under `prlimit --fsize=0`: every write to a regular file fails with
EFBIG, as a full volume fails with ENOSPC (a tmpfs of its own would need mount rights). The
client is still served; the recorder holds the records in memory, `/health` says why, the
`spill_failures` recorder event is counted in `/metrics`, the process does not crash; once the
database returns the held records are written.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import REQUIRE_SERVICES
from tests.e2e.faults.health import wait_health
from tests.e2e.faults.services import ThrowawayDatabase, wait_rows
from tests.e2e.servers import E2E_ADMIN_KEY, Server, gateway_env, start_gateway

pytestmark = [pytest.mark.e2e, pytest.mark.faults]
KEY = "faults-bootstrap-key"


@pytest.fixture
def full_disk_gateway(
    postgres: ThrowawayDatabase, mock_server: Server, tmp_path: Path
) -> Iterator[Server]:
    """A gateway on the throwaway database that may not grow any file."""
    if shutil.which("prlimit") is None:
        if REQUIRE_SERVICES:
            pytest.fail("prlimit (util-linux) is needed by the fault suite")
        pytest.skip("prlimit (util-linux) is missing")
    env = gateway_env(
        postgres.url,
        mock_server.url,
        PROXY_API_KEY=KEY,
        REDIS_URL="",
        LUTHIEN_SPILL_DIR=str(tmp_path / "spill"),
    )
    server = start_gateway(env, wrapper=("prlimit", "--fsize=0", "--"))
    try:
        yield server
    finally:
        server.stop()


def _ask(server: Server, text: str) -> str:
    answer = httpx.post(
        server.url + "/v1/chat/completions",
        json={"model": "mock/echo", "messages": [{"role": "user", "content": text}]},
        headers={"authorization": f"Bearer {KEY}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["choices"][0]["message"]["content"] == f"You said: {text}"
    return answer.headers["x-luthien-transaction-id"]


def _spill_failures(server: Server) -> float:
    text = httpx.get(
        server.url + "/metrics",
        headers={"authorization": f"Bearer {E2E_ADMIN_KEY}"},
        timeout=10,
    ).text
    for line in text.splitlines():
        if line.startswith('luthien_recorder_events_total{event="spill_failures"}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_full_spill_disk_holds_records_reports_it_and_never_crashes(
    postgres: ThrowawayDatabase, full_disk_gateway: Server
) -> None:
    gateway = full_disk_gateway
    postgres.stop()
    ids = [_ask(gateway, f"call {n}") for n in range(3)]
    body = wait_health(
        gateway,
        lambda b: b["components"]["recorder"].get("held", 0) >= 3,
        "the recorder never held the records",
    )
    recorder = body["components"]["recorder"]
    assert recorder["status"] == "degraded"
    assert "refused them (OSError: File too large)" in recorder["reason"]
    assert "recorder cannot spill" in body["not_ready"]
    assert (recorder["spilled"], recorder["dropped"]) == (0, 0)
    assert _spill_failures(gateway) >= 3
    assert gateway.process.poll() is None  # never a crash
    ids.append(_ask(gateway, "still served"))

    postgres.start()
    assert wait_rows(postgres, ids, timeout=30) == set(ids)
    after = wait_health(
        gateway,
        lambda b: b["components"]["recorder"]["held"] == 0,
        "the held records were not written",
    )
    assert after["components"]["recorder"]["dropped"] == 0
