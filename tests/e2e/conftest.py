"""End-to-end fixtures: a real mock-upstream process and a real gateway process sharing the
test database (data is committed with `transactional_db`, so both processes see it)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.db import connection

from tests.conftest import REQUIRE_SERVICES
from tests.e2e.servers import (
    E2E_ADMIN_KEY,
    Server,
    gateway_env,
    running_gateways,
    start_gateway,
    start_mock,
)


def database_url_for_tests() -> str:
    """A DATABASE_URL pointing at the database pytest-django created for this run."""
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings['NAME']}"
    user, host, port = settings["USER"], settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


CHROMIUM = os.environ.get("LUTHIEN_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def chromium() -> str:
    """Path of Debian's Chromium: skipped when missing, failed when CI requires services."""
    path = shutil.which(CHROMIUM)
    if path is None:
        if REQUIRE_SERVICES:
            pytest.fail(f"Chromium not found at {CHROMIUM} (.ci/run installs it)")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    return path


@pytest.fixture(scope="session")
def mock_server() -> Iterator[Server]:
    """The mock upstream over real HTTP."""
    server = start_mock()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def gateway_server(
    django_db_setup: Any, django_db_blocker: Any, mock_server: Server, tmp_path_factory: Any
) -> Iterator[Server]:
    """One gateway process for the session, using the test database and the mock process."""
    with django_db_blocker.unblock():
        database_url = database_url_for_tests()
    spill = tmp_path_factory.mktemp("spill")
    server = start_gateway(gateway_env(database_url, mock_server.url, LUTHIEN_SPILL_DIR=str(spill)))
    yield server
    server.stop()


@pytest.fixture
def e2e_key(transactional_db: None) -> Iterator[str]:
    """A client key (committed, so the gateway process sees it). Afterwards, before the test
    database is wiped, every gateway process still running on it settles (the shared one and
    the module-scoped ones alike): a write still in flight would race the wipe (a deadlock in
    PostgreSQL, a duplicate key in the next test). Fixtures that start a gateway for one test
    stop it before the wipe instead (they depend on `transactional_db`, so they end first)."""
    from gateway.keys import api_key_create

    _, secret = api_key_create(name="e2e-client", may_override_policy=True)
    yield secret
    gateways_settle(database_url_for_tests())


def gateways_settle(database_url: str) -> None:
    """Settle every running gateway process that records into `database_url`."""
    for server in running_gateways(database_url):
        recorder_settle(server)


def recorder_settle(server: Server) -> None:
    """Wait until `server` has written everything it accepted (its admin debug API)."""
    answer = httpx.post(
        f"{server.url}/api/admin/debug/recorder/flush",
        headers={"authorization": f"Bearer {server.env.get('ADMIN_API_KEY') or E2E_ADMIN_KEY}"},
        timeout=30,
    )
    assert answer.status_code == 200 and answer.json()["flushed"], answer.text
