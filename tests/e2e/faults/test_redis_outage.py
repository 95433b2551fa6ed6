"""Fault: Redis stops, then comes back (a throwaway `redis-server`, `redis-cli shutdown`).

Two real gateway processes share a throwaway PostgreSQL cluster and the throwaway Redis. While
Redis is down: calls are proxied and recorded, `/health` says `degraded` (Redis unreachable,
rate limits per worker), a rate-limited key is still limited (per-worker buckets: the fallback),
and a policy activated through one gateway is in force there at once. The documented limit:
the other gateway learns of the change through the Redis stamp, so it follows once Redis
returns (the bump owed during the outage is retried), not during the outage.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.faults.health import health, wait_health
from tests.e2e.faults.services import ThrowawayDatabase, ThrowawayRedis, wait_rows
from tests.e2e.servers import E2E_ADMIN_KEY, Server, gateway_env, start_gateway

pytestmark = [pytest.mark.e2e, pytest.mark.faults]
KEY = "faults-bootstrap-key"
PROMPT = "hello redis"


@pytest.fixture
def gateways(
    postgres: ThrowawayDatabase, redis_server: ThrowawayRedis, mock_server: Server, tmp_path: Path
) -> Iterator[tuple[Server, Server]]:
    """Two gateways on the throwaway database and Redis."""
    env = gateway_env(
        postgres.url,
        mock_server.url,
        PROXY_API_KEY=KEY,
        REDIS_URL=redis_server.url,
        LUTHIEN_POLICY_POLL_INTERVAL_S="0.25",
    )
    started: list[Server] = []
    try:
        for name in ("a", "b"):
            started.append(start_gateway({**env, "LUTHIEN_SPILL_DIR": str(tmp_path / name)}))
        yield started[0], started[1]
    finally:
        for server in started:
            server.stop()


def _ask(server: Server, key: str = KEY) -> httpx.Response:
    return httpx.post(
        server.url + "/v1/chat/completions",
        json={"model": "mock/echo", "messages": [{"role": "user", "content": PROMPT}]},
        headers={"authorization": f"Bearer {key}"},
        timeout=10,
    )


def _text(answer: httpx.Response) -> str:
    assert answer.status_code == 200, answer.text
    return str(answer.json()["choices"][0]["message"]["content"])


def _until_refused(server: Server, key: str) -> httpx.Response:
    """Call with `key` until the rate limit refuses (at most 10 calls)."""
    for _ in range(10):
        answer = _ask(server, key)
        if answer.status_code == 429:
            return answer
        assert answer.status_code == 200, answer.text
    raise AssertionError("the rate limit never refused")


def test_redis_stopped_proxying_limits_and_reload_continue(
    postgres: ThrowawayDatabase, redis_server: ThrowawayRedis, gateways: tuple[Server, Server]
) -> None:
    a, b = gateways
    limited = postgres.create_key("limited", per_minute=1, burst=2)
    assert _text(_ask(a)) == f"You said: {PROMPT}"
    assert health(a)["status"] == "ok"
    assert _until_refused(a, limited).headers["retry-after"]  # the shared bucket in Redis

    redis_server.stop()
    during = [_ask(a), _ask(b)]
    assert [_text(answer) for answer in during] == [f"You said: {PROMPT}"] * 2
    down = wait_health(
        b, lambda body: body["components"]["redis"]["reachable"] is False, "Redis never went"
    )
    assert down["status"] == "degraded" and "Redis unreachable" in down["not_ready"]

    refused = _until_refused(b, limited)  # the per-worker bucket: still limited
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["error"]["type"] == "rate_limit_error"
    assert f"retry in {refused.headers['retry-after']} s" in refused.json()["error"]["message"]
    limits = health(b)["components"]["rate_limits"]
    assert (limits["status"], limits["backend"]) == ("degraded", "fallback")

    enabled = httpx.post(
        a.url + "/api/admin/policy/enable",
        json={"policy_class": "all-caps"},
        headers={"authorization": f"Bearer {E2E_ADMIN_KEY}"},
        timeout=10,
    )
    assert enabled.status_code == 200, enabled.text
    assert _text(_ask(a)) == f"YOU SAID: {PROMPT.upper()}"  # in force where it was made

    redis_server.start()
    wait_health(b, lambda body: body["components"]["redis"]["reachable"], "Redis never returned")
    upper = f"YOU SAID: {PROMPT.upper()}"
    deadline = time.monotonic() + 15
    while _text(_ask(b)) != upper:  # b follows once the owed stamp bump reaches Redis
        assert time.monotonic() < deadline, "gateway b never followed the activation"
        time.sleep(0.05)

    ids = [answer.headers["x-luthien-transaction-id"] for answer in during]
    stored = wait_rows(postgres, ids)
    assert stored == set(ids)
