"""Shared fixtures: services (PostgreSQL/Redis) policy, clean process-wide services."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

Path(__file__).resolve().parent.parent.joinpath("var").mkdir(exist_ok=True)

REQUIRE_SERVICES = os.environ.get("LUTHIEN_REQUIRE_SERVICES") == "1"


def require_service(variable: str) -> str:
    """The service URL from the environment; skip when unset unless services are required."""
    value = os.environ.get(variable, "")
    if not value:
        if REQUIRE_SERVICES:
            pytest.fail(f"{variable} must be set when LUTHIEN_REQUIRE_SERVICES=1")
        pytest.skip(f"{variable} is not set")
    return value


def pytest_report_header() -> str:
    """Which upstream transport this run uses (`make test` runs the sockets tiers on both)."""
    return f"upstream transport: {os.environ.get('LUTHIEN_UPSTREAM_TRANSPORT') or 'http11'}"


@pytest.fixture
def redis_url() -> str:
    """The Redis URL (skips when REDIS_URL is unset, fails under LUTHIEN_REQUIRE_SERVICES=1)."""
    return require_service("REDIS_URL")


@pytest.fixture
def postgres_url() -> str:
    """The PostgreSQL URL (same rule as redis_url)."""
    url = require_service("DATABASE_URL")
    if not url.startswith(("postgres", "postgresql")):
        if REQUIRE_SERVICES:
            pytest.fail("DATABASE_URL must point at PostgreSQL when LUTHIEN_REQUIRE_SERVICES=1")
        pytest.skip("DATABASE_URL is not PostgreSQL")
    return url


@pytest.fixture(autouse=True)
def _fresh_services(tmp_path: Path, settings: Any) -> Iterator[None]:
    """Process-wide services (`wire.process_wide`: recorder, clients, caches, policy
    runtime...) must not leak between tests: each test starts and ends with none made.
    Records spill into a temp folder."""
    from wire.process_wide import reset_all

    settings.LUTHIEN_SPILL_DIR = str(tmp_path / "spill")
    reset_all()
    yield
    reset_all()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """pytest-django's test database, whose PostgreSQL teardown first ends the sessions other
    threads left open (the ORM calls of async code run in executor threads, each with its own
    connection), so the test database can be dropped."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
