"""`/health`, `/health/live`, `/health/ready`: each component's state and reason, 200 or 503.

An unreachable database is a settings entry pointing at a port where nothing listens (or, on
SQLite, a file in a folder that does not exist); the shared database server is never stopped.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from activity.recorder import reset_recorder
from gateway import circuit
from luthien_site import health
from tests.e2e.servers import free_port
from tests.lane import LaneClient


@pytest.fixture
def client(transactional_db: None) -> LaneClient:
    return LaneClient()


@pytest.fixture
def unreachable_database(
    transactional_db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The health check's database alias points where no database answers."""
    config = dict(connections.settings["default"])
    if config["ENGINE"].endswith("sqlite3"):
        config["NAME"] = str(tmp_path / "missing-folder" / "db.sqlite3")
    else:
        config.update(HOST="127.0.0.1", PORT=str(free_port()))
    connections.settings["unreachable"] = config
    monkeypatch.setattr(health, "DATABASE_ALIAS", "unreachable")
    yield
    del connections.settings["unreachable"]


async def test_all_up(client: LaneClient, settings: Any) -> None:
    reply = await client.get("/health")
    assert reply.status_code == 200
    body = reply.json()
    assert body["status"] == "ok", body
    assert body["ready"] is True
    components = body["components"]
    assert components["database"]["reachable"] is True
    assert set(components) >= {"database", "recorder", "rate_limits", "upstreams"}
    assert ("redis" in components) == bool(settings.REDIS_URL)
    assert (await client.get("/health/ready")).status_code == 200
    live = await client.get("/health/live")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})


async def test_database_unreachable_is_degraded_and_not_ready(
    client: LaneClient, unreachable_database: None
) -> None:
    reply = await client.get("/health")
    assert reply.status_code == 200  # still serving: calls proxied, records spill
    body = reply.json()
    assert body["status"] == "degraded"
    database = body["components"]["database"]
    assert (database["status"], database["reachable"]) == ("degraded", False)
    assert "unreachable" in database["reason"]
    ready = await client.get("/health/ready")
    assert ready.status_code == 503
    assert "database unreachable" in ready.json()["not_ready"]
    assert (await client.get("/health/live")).status_code == 200


async def test_database_unreachable_and_spill_not_writable_is_down(
    client: LaneClient, unreachable_database: None, tmp_path: Path, settings: Any
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.LUTHIEN_SPILL_DIR = str(blocker / "spill")
    reset_recorder()
    reply = await client.get("/health")
    assert reply.status_code == 503
    body = reply.json()
    assert body["status"] == "down"
    assert body["components"]["recorder"]["status"] == "down"
    assert "being lost" in body["components"]["recorder"]["reason"]


@pytest.fixture
def old_spill_file(settings: Any) -> None:
    """A spill file created five minutes ago, never replayed."""
    spill = Path(settings.LUTHIEN_SPILL_DIR)
    spill.mkdir(parents=True, exist_ok=True)
    created = time.time_ns() - 300 * 1_000_000_000
    (spill / f"spill-{created:020d}-{os.getpid()}-feedbeef.jsonl").write_text("")


async def test_old_spill_file_is_degraded_and_not_ready(
    client: LaneClient, settings: Any, old_spill_file: None
) -> None:
    settings.LUTHIEN_HEALTH_MAX_SPILL_AGE_S = 60
    reply = await client.get("/health")
    body = reply.json()
    assert reply.status_code == 200
    recorder = body["components"]["recorder"]
    assert recorder["status"] == "degraded"
    assert recorder["spill_files"] == 1
    assert 299 <= recorder["oldest_spill_s"] < 400
    ready = await client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json()["not_ready"] == ["old spill file"]


async def test_backlog_over_bound_is_not_ready(client: LaneClient, settings: Any) -> None:
    settings.LUTHIEN_HEALTH_MAX_BACKLOG = -1  # any queue, even empty, is over this bound
    ready = await client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json()["not_ready"] == ["recorder backlog"]


async def test_redis_unreachable_is_degraded(client: LaneClient, settings: Any) -> None:
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    body = (await client.get("/health")).json()
    assert body["status"] == "degraded"
    assert body["components"]["redis"]["status"] == "degraded"
    ready = await client.get("/health/ready")
    assert ready.status_code == 503
    assert "Redis unreachable" in ready.json()["not_ready"]


async def test_open_circuit_is_degraded(client: LaneClient, settings: Any) -> None:
    settings.LUTHIEN_CIRCUIT_FAILURES = 1
    circuit.breaker("openai").failure(circuit.now())
    body = (await client.get("/health")).json()
    assert body["status"] == "degraded"
    upstreams = body["components"]["upstreams"]
    assert upstreams["circuits"] == {"openai": "open"}
    assert "openai" in upstreams["reason"]
    assert (await client.get("/health/ready")).status_code == 200  # others still served
