"""Fault-suite fixtures: a PostgreSQL cluster and a Redis server of the suite's own, which the
tests stop and start (never the shared `DATABASE_URL` / `REDIS_URL` services), removed at the
end even when a test fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REQUIRE_SERVICES
from tests.e2e.faults.services import (
    PG_COMMANDS,
    REDIS_COMMANDS,
    ThrowawayDatabase,
    ThrowawayPostgres,
    ThrowawayRedis,
    missing_commands,
    postgres_major,
)


def _unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (needed by the fault suite when LUTHIEN_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """A migrated PostgreSQL cluster on a free port, for this test session only."""
    missing = missing_commands(PG_COMMANDS)
    version = postgres_major()
    if missing or version is None:
        _unavailable(f"PostgreSQL cluster commands missing: {missing or ['/etc/postgresql']}")
    cluster = ThrowawayPostgres(str(version))
    try:
        cluster.create()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def postgres(throwaway_postgres: ThrowawayPostgres) -> Iterator[ThrowawayDatabase]:
    """A fresh database of the test's own in the throwaway cluster; the cluster runs again
    after the test whatever the test did to it."""
    yield throwaway_postgres.clone()
    if not throwaway_postgres.accepting():
        throwaway_postgres.start()


@pytest.fixture
def redis_server(tmp_path_factory: Any) -> Iterator[ThrowawayRedis]:
    """A throwaway `redis-server` on a free port, killed after the test."""
    missing = missing_commands(REDIS_COMMANDS)
    if missing:
        _unavailable(f"Redis commands missing: {missing}")
    server = ThrowawayRedis(Path(tmp_path_factory.mktemp("redis")))
    try:
        server.start()
        yield server
    finally:
        server.remove()
