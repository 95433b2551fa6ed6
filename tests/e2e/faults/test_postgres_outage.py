"""Fault: PostgreSQL stops under steady load, then comes back.

A real gateway process records into a throwaway cluster (`tests/e2e/faults/services.py`), which the
test stops with `pg_ctlcluster stop -m fast` while a client calls without pause. The client must
not notice, `/health` must say `degraded` with the database unreachable, records must spill; once
the cluster is started again every transaction id the client was given must be a row: none lost.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.faults.health import wait_health
from tests.e2e.faults.load import SteadyLoad
from tests.e2e.faults.services import ThrowawayDatabase
from tests.e2e.servers import Server, gateway_env, start_gateway

pytestmark = [pytest.mark.e2e, pytest.mark.faults]
KEY = "faults-bootstrap-key"


@pytest.fixture
def gateway(postgres: ThrowawayDatabase, mock_server: Server, tmp_path: Path) -> Iterator[Server]:
    """A gateway recording into the throwaway cluster (no Redis: nothing shared is touched)."""
    env = gateway_env(
        postgres.url,
        mock_server.url,
        PROXY_API_KEY=KEY,
        REDIS_URL="",
        LUTHIEN_SPILL_DIR=str(tmp_path / "spill"),
    )
    server = start_gateway(env)
    try:
        yield server
    finally:
        server.stop()


def test_postgres_stopped_under_load_loses_no_transaction(
    postgres: ThrowawayDatabase, gateway: Server
) -> None:
    load = SteadyLoad(gateway.url, KEY).start()
    try:
        load.wait_for(10)
        postgres.stop()
        down = wait_health(
            gateway,
            lambda b: b["components"]["database"]["reachable"] is False,
            "health never saw the database go",
        )
        assert down["status"] == "degraded"
        assert "database unreachable" in down["not_ready"]
        load.wait_for(20)  # the client keeps being served while the database is gone
        spilling = wait_health(
            gateway,
            lambda b: b["components"]["recorder"]["spilled"] > 0,
            "nothing was spilled while the database was down",
        )
        assert spilling["components"]["recorder"]["dropped"] == 0
        postgres.start()
        load.wait_for(10)
    finally:
        load.stop()
    assert not load.failures, load.failures[:3]

    ids = set(load.ids)
    assert len(ids) == len(load.ids) >= 40
    deadline = time.monotonic() + 60
    stored: set[str] = set()
    while stored != ids and time.monotonic() < deadline:
        rows = postgres.query("SELECT id FROM activity_transaction WHERE id = ANY(%s)", list(ids))
        stored = {str(row[0]) for row in rows}
        time.sleep(0.2)
    assert ids - stored == set(), f"{len(ids - stored)} of {len(ids)} transactions lost"
    statuses = postgres.query(
        "SELECT status, count(*) FROM activity_transaction WHERE id = ANY(%s) GROUP BY status",
        list(ids),
    )
    assert statuses == [("completed", len(ids))]
    recovered = wait_health(
        gateway, lambda b: b["status"] == "ok", "the gateway did not recover", timeout=60
    )
    recorder = recovered["components"]["recorder"]
    assert recorder["spill_files"] == 0 and recorder["replayed"] == recorder["spilled"] > 0
    assert recorder["dropped"] == 0
