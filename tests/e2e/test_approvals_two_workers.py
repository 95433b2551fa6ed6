"""The approval queue across processes: two real gateways on PostgreSQL + Redis. A streaming
tool call held on gateway A is approved through the admin API served by gateway B, and the
client (the official SDK) receives the original call; a call nobody decides times out into the
policy's default with a readable message; a client that disconnects withdraws its call, and the
history says so.

The gateways re-read a waiting row only every 10 minutes here (`LUTHIEN_APPROVAL_POLL_S`), so a
call released at all was released by the Redis notification, not by the fallback re-read.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from activity.models import Transaction
from policies.models import PendingApproval
from policies.services import policy_config_create, policy_enable
from tests.e2e.conftest import database_url_for_tests
from tests.e2e.servers import Server, gateway_env, start_gateway

pytestmark = pytest.mark.e2e

ADMIN_KEY = "e2e-approvals-admin-key"
COMMAND = "git push --force origin main"
TOOLS = [{"name": "Bash", "description": "run", "input_schema": {"type": "object"}}]


@pytest.fixture
def pair(
    postgres_url: str, redis_url: str, transactional_db: None, mock_server: Server, tmp_path: Path
) -> Iterator[tuple[Server, Server]]:
    """Gateways A and B sharing the database and Redis; `require-approval` is active and a
    quick-timeout variant can be chosen with X-Luthien-Policy."""
    policy_enable(policy_class="require-approval", name="ask", config={"tools": ["Bash"]})
    policy_config_create(
        name="ask-quick",
        policy_class="require-approval",
        config={"tools": ["Bash"], "approval_timeout_s": 1},
    )
    env = gateway_env(
        database_url_for_tests(),
        mock_server.url,
        ADMIN_API_KEY=ADMIN_KEY,
        REDIS_URL=redis_url,
        LUTHIEN_APPROVAL_POLL_S="600",
        LUTHIEN_STREAM_KEEPALIVE_S="0.2",
    )
    first = start_gateway({**env, "LUTHIEN_SPILL_DIR": str(tmp_path / "spill-a")})
    try:
        second = start_gateway({**env, "LUTHIEN_SPILL_DIR": str(tmp_path / "spill-b")})
    except Exception:
        first.stop()
        raise
    yield first, second
    first.stop()
    second.stop()


def until(check: Any, what: str, within: float = 30.0) -> Any:
    """Call `check` until it returns something truthy."""
    deadline = time.monotonic() + within
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def pending() -> PendingApproval | None:
    return PendingApproval.objects.filter(status="pending").first()


def test_a_call_held_on_one_gateway_is_released_from_the_other(
    pair: tuple[Server, Server], e2e_key: str
) -> None:
    a, b = pair
    client = anthropic.Anthropic(base_url=a.url, api_key=e2e_key, max_retries=0, timeout=60)

    def call() -> Any:
        with client.messages.stream(
            model="mock/tool?name=Bash&args=" + json.dumps({"command": COMMAND}),
            max_tokens=100,
            tools=TOOLS,  # type: ignore[arg-type]
            messages=[{"role": "user", "content": "publish my branch"}],
        ) as stream:
            return stream.get_final_message()

    with ThreadPoolExecutor(1) as pool:
        result: Future[Any] = pool.submit(call)
        held = until(pending, "the call to be held")
        assert not result.done()
        answer = httpx.post(
            f"{b.url}/api/admin/approvals/{held.id.hex}/approve",
            json={"reason": "ok from chat-ops"},
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        message = result.result(timeout=60)
    calls = [block for block in message.content if block.type == "tool_use"]
    assert [(c.name, c.input) for c in calls] == [("Bash", {"command": COMMAND})]
    assert message.stop_reason == "tool_use"
    row = until(lambda: _recorded(held.transaction_id), "the transaction to be recorded")
    actions = [(e.action, e.details.get("by")) for e in row.events.order_by("seq")]
    assert actions == [("escalated", None), ("approved", "admin API key")]


def test_a_call_nobody_decides_times_out_into_the_default(
    pair: tuple[Server, Server], e2e_key: str
) -> None:
    a, _ = pair
    client = openai.OpenAI(base_url=a.url + "/v1", api_key=e2e_key, max_retries=0, timeout=60)
    stream = client.chat.completions.create(
        model="mock/tool?name=Bash&args=" + json.dumps({"command": COMMAND}),
        messages=[{"role": "user", "content": "publish my branch"}],
        tools=[{"type": "function", "function": {"name": "Bash", "parameters": {}}}],
        stream=True,
        extra_headers={"X-Luthien-Policy": "ask-quick"},
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert '⛔ Luthien blocked a tool call (policy "ask-quick")' in text
    assert "nobody approved it within 1 seconds (the policy denies by default)" in text
    assert PendingApproval.objects.get().status == "timed_out"


def test_a_client_that_disconnects_withdraws_its_call(
    pair: tuple[Server, Server], e2e_key: str
) -> None:
    a, _ = pair
    body = {
        "model": "mock/tool?name=Bash",
        "max_tokens": 50,
        "stream": True,
        "tools": TOOLS,
        "messages": [{"role": "user", "content": COMMAND}],
    }
    headers = {"x-api-key": e2e_key, "anthropic-version": "2023-06-01"}
    with (
        httpx.Client(timeout=30) as http,
        http.stream("POST", a.url + "/v1/messages", json=body, headers=headers) as response,
    ):
        lines = response.iter_lines()
        until(lambda: next(lines) == "event: ping", "a keep-alive ping")
        held = until(pending, "the call to be held")
    # the connection is closed: the gateway withdraws the call
    until(
        lambda: PendingApproval.objects.get(id=held.id).status == "withdrawn",
        "the call to be withdrawn",
    )
    row = until(lambda: _recorded(held.transaction_id), "the transaction to be recorded")
    assert row.status == "cancelled"
    assert [e.action for e in row.events.order_by("seq")] == ["escalated", "withdrawn"]
    staff = get_user_model().objects.create_user(username="rev", password="x", is_staff=True)
    page = Client()
    page.force_login(staff)
    detail = page.get(f"/activity/{held.transaction_id}/").content.decode()
    assert "withdrawn" in detail and "Withdrawn" in detail


def _recorded(transaction_id: str) -> Transaction | None:
    return Transaction.objects.filter(id=transaction_id).exclude(ended_at=None).first()
