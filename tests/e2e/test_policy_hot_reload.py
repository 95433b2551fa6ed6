"""Hot reload across processes: two real gateways share PostgreSQL (and Redis); a policy
activated through one is in force on the other within a second."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import database_url_for_tests
from tests.e2e.servers import Server, gateway_env, start_gateway

pytestmark = pytest.mark.e2e

ADMIN_KEY = "e2e-admin-key"
PROMPT = "hello there"


def _start_pair(mock: Server, tmp_path: Path, **extra: str) -> tuple[Server, Server]:
    env = gateway_env(
        database_url_for_tests(),
        mock.url,
        ADMIN_API_KEY=ADMIN_KEY,
        LUTHIEN_POLICY_POLL_INTERVAL_S="0.25",
        **extra,
    )
    first = start_gateway({**env, "LUTHIEN_SPILL_DIR": str(tmp_path / "spill-a")})
    try:
        second = start_gateway({**env, "LUTHIEN_SPILL_DIR": str(tmp_path / "spill-b")})
    except Exception:
        first.stop()
        raise
    return first, second


@pytest.fixture
def gateways_redis(
    postgres_url: str,
    redis_url: str,
    transactional_db: None,
    mock_server: Server,
    tmp_path: Path,
) -> Iterator[tuple[Server, Server]]:
    """Two gateway processes sharing the test database and Redis (the Redis stamp)."""
    pair = _start_pair(mock_server, tmp_path, REDIS_URL=redis_url)
    yield pair
    for server in pair:
        server.stop()


@pytest.fixture
def gateways_database(
    postgres_url: str, transactional_db: None, mock_server: Server, tmp_path: Path
) -> Iterator[tuple[Server, Server]]:
    """Two gateway processes sharing only the database (the database stamp)."""
    pair = _start_pair(mock_server, tmp_path, REDIS_URL="")
    yield pair
    for server in pair:
        server.stop()


def _ask(server: Server, key: str) -> httpx.Response:
    return httpx.post(
        server.url + "/v1/chat/completions",
        json={"model": "mock/echo", "messages": [{"role": "user", "content": PROMPT}]},
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )


def _text(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return str(response.json()["choices"][0]["message"]["content"])


def _admin(server: Server, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(
        method,
        server.url + "/api/admin" + path,
        timeout=10,
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
        **kwargs,
    )


def _seconds_until_upper(server: Server, key: str, since: float) -> tuple[float, str]:
    """Send requests until one comes back upper-case; when was that one sent?"""
    while True:
        sent = time.monotonic()
        response = _ask(server, key)
        if _text(response) == f"YOU SAID: {PROMPT.upper()}":
            return sent - since, response.headers["x-luthien-transaction-id"]
        if sent - since > 3:
            raise AssertionError("the other gateway never switched")
        time.sleep(0.05)


def _recorded_policy(transaction_id: str) -> tuple[str, int]:
    from activity.models import Transaction

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        row = Transaction.objects.filter(id=transaction_id).first()
        if row is not None:
            return row.policy_name, row.policy_version
        time.sleep(0.1)
    raise AssertionError(f"transaction {transaction_id} was not recorded")


def _activate_through_a_and_watch_b(pair: tuple[Server, Server], key: str) -> None:
    a, b = pair
    assert _text(_ask(b, key)) == f"You said: {PROMPT}"  # B runs the default policy
    enabled = _admin(a, "POST", "/policy/enable", json={"policy_class": "all-caps"})
    assert enabled.status_code == 200, enabled.text
    since = time.monotonic()
    assert _text(_ask(a, key)) == f"YOU SAID: {PROMPT.upper()}"  # A switched at once
    delay, transaction_id = _seconds_until_upper(b, key, since)
    assert delay < 1.0, f"gateway B switched after {delay:.2f}s"
    assert _recorded_policy(transaction_id) == ("all-caps", enabled.json()["version"])

    # and back, through B this time: A follows
    created = _admin(b, "POST", "/policies", json={"name": "quiet", "policy_class": "noop"})
    assert created.status_code == 201, created.text
    assert _admin(b, "POST", "/policies/quiet/activate").status_code == 200
    since = time.monotonic()
    while True:
        sent = time.monotonic()
        if _text(_ask(a, key)) == f"You said: {PROMPT}":
            break
        assert sent - since < 1.0, "gateway A did not follow within 1 s"
        time.sleep(0.05)
    current = _admin(a, "GET", "/policies/current").json()
    assert (current["name"], current["source"]) == ("quiet", "database")


def test_activation_reaches_the_other_gateway_through_redis(
    gateways_redis: tuple[Server, Server], e2e_key: str
) -> None:
    _activate_through_a_and_watch_b(gateways_redis, e2e_key)


def test_activation_reaches_the_other_gateway_through_the_database_stamp(
    gateways_database: tuple[Server, Server], e2e_key: str
) -> None:
    _activate_through_a_and_watch_b(gateways_database, e2e_key)
