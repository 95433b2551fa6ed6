"""Fault: the tool judge is dead (nothing listens at its upstream) or slow (answers after its
`timeout_s`). A real gateway process whose policy (`POLICY_CONFIG`) is `tool-judge`: the
client's tool call is withheld and replaced by a notice that says the judge failed (fail
closed, the default), in the client's format, and the transaction records the `error`
decision. The gateway records into the throwaway cluster (no shared service touched).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.faults.services import ThrowawayDatabase, wait_rows
from tests.e2e.servers import Server, free_port, gateway_env, start_gateway

pytestmark = [pytest.mark.e2e, pytest.mark.faults]
KEY = "faults-bootstrap-key"
JUDGES = {
    "dead": "deadjudge/judge",  # an upstream nobody listens on
    "slow": "mock/judge?ttfb_ms=5000",  # answers after the judge's 0.5 s timeout
}


@pytest.fixture(params=sorted(JUDGES))
def judged_gateway(
    request: pytest.FixtureRequest,
    postgres: ThrowawayDatabase,
    mock_server: Server,
    tmp_path: Path,
) -> Iterator[Server]:
    """A gateway whose tool judge is dead or slow."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        f"policy: tool-judge\nconfig: {{model: '{JUDGES[request.param]}', timeout_s: 0.5}}\n"
    )
    env = gateway_env(
        postgres.url,
        mock_server.url,
        PROXY_API_KEY=KEY,
        REDIS_URL="",
        POLICY_CONFIG=str(policy),
        LUTHIEN_EXTRA_UPSTREAMS=f"deadjudge=http://127.0.0.1:{free_port()}/v1",
        LUTHIEN_SPILL_DIR=str(tmp_path / "spill"),
    )
    server = start_gateway(env)
    try:
        yield server
    finally:
        server.stop()


def _actions(postgres: ThrowawayDatabase, transaction_id: str) -> list[Any]:
    """The recorded decisions (policy, action) of a transaction."""
    assert wait_rows(postgres, [transaction_id]) == {transaction_id}
    return postgres.query(
        "SELECT policy, action FROM activity_transactionevent WHERE transaction_id = %s "
        "ORDER BY seq",
        transaction_id,
    )


def test_a_dead_or_slow_judge_withholds_the_tool_call(
    postgres: ThrowawayDatabase, judged_gateway: Server
) -> None:
    started = time.monotonic()
    answer = httpx.post(
        judged_gateway.url + "/v1/messages",
        json={
            "model": "mock/tool?name=Bash",
            "max_tokens": 50,
            "messages": [{"role": "user", "content": "rm -rf ~"}],
        },
        headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"},
        timeout=30,
    )
    assert time.monotonic() - started < 20  # the judge's timeout bounds the wait, not the mock
    assert answer.status_code == 200, answer.text
    blocks = answer.json()["content"]
    assert [block["type"] for block in blocks] == ["text"]  # the tool call is withheld
    assert "judge" in blocks[0]["text"].lower() and "Bash" in blocks[0]["text"]
    actions = _actions(postgres, answer.headers["x-luthien-transaction-id"])
    assert ("tool-judge", "error") in actions, actions
