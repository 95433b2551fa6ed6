"""In headless Chromium: a reviewer sees a held tool call appear live on the monitor, opens the
approval queue on the other gateway process, approves it, and the agent's streaming call (the
official `anthropic` SDK, waiting on the first gateway) receives the original call; a second
call is denied with a reason the agent reads; a third is approved from the monitor's panel. The
queue's screenshot goes to docs/screenshots/.

The gateways re-read a waiting row only every 10 minutes here, so the release comes from the
Redis notification sent by the worker that served the page.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import database_url_for_tests
from tests.e2e.servers import Server, gateway_env, start_gateway
from tests.e2e.test_activity_browser import PASSWORD, logged_in_page, shoot
from tests.e2e.test_activity_browser import browser as browser  # the fixture

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

COMMAND = "git push --force origin main"
TEXT = "Your branch is ready; I will publish it now."


@pytest.fixture
def reviewer(transactional_db: None) -> None:
    """Staff user `reviewer` who may decide (the policy-change permission)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user(
        username="reviewer", password=PASSWORD, is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="change_policyconfig"))


@pytest.fixture
def pair(
    postgres_url: str, redis_url: str, transactional_db: None, mock_server: Server, tmp_path: Path
) -> Iterator[tuple[Server, Server]]:
    """Gateway A (the agent's) and B (the reviewer's) on the database and Redis, with
    `require-approval` for Bash active."""
    from policies.services import policy_enable

    policy_enable(
        policy_class="require-approval",
        name="ask-before-bash",
        config={"tools": ["Bash"], "approval_timeout_s": 30},
    )
    env = gateway_env(
        database_url_for_tests(),
        mock_server.url,
        REDIS_URL=redis_url,
        LUTHIEN_APPROVAL_POLL_S="600",
        LUTHIEN_STREAM_KEEPALIVE_S="1",
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


def agent_call(server: Server, key: str) -> Any:
    """A streaming Claude-style call whose answer is text then `Bash {"command": COMMAND}`."""
    import anthropic

    client = anthropic.Anthropic(base_url=server.url, api_key=key, max_retries=0, timeout=120)
    model = "mock/text-tool?text=" + TEXT.replace(" ", "%20")
    with client.messages.stream(
        extra_headers={"x-luthien-session-id": "demo-session-7"},
        model=model,
        max_tokens=200,
        tools=[{"name": "Bash", "description": "run", "input_schema": {"type": "object"}}],
        messages=[{"role": "user", "content": COMMAND}],
    ) as stream:
        return stream.get_final_message()


async def test_approve_and_deny_on_the_approvals_page(
    browser: Any, pair: tuple[Server, Server], e2e_key: str, reviewer: None
) -> None:
    a, b = pair
    page = await logged_in_page(browser, b)  # the live monitor, served by B
    with ThreadPoolExecutor(2) as pool:
        approved: Future[Any] = pool.submit(agent_call, a, e2e_key)
        held = page.locator("#approvals-list li")
        await held.first.wait_for(timeout=20_000)  # live on the monitor
        assert "Bash" in await held.first.inner_text()
        assert COMMAND in await held.first.inner_text()

        await page.goto(b.url + "/approvals/")
        card = page.locator("article.approval").first
        await card.wait_for(timeout=10_000)
        text = await card.inner_text()
        assert "the tool Bash needs approval" in text and "ask-before-bash" in text
        assert TEXT in await card.locator("pre.model-text").inner_text()
        arguments = await card.locator("textarea[name=arguments]").input_value()
        assert json.loads(arguments) == {"command": COMMAND}
        await card.locator("button.approve").click()
        await page.locator("#flash").wait_for(timeout=10_000)
        assert "approved by reviewer" in await page.locator("#flash").inner_text()
        message = await asyncio.wrap_future(approved)
        calls = [block for block in message.content if block.type == "tool_use"]
        assert [(c.name, c.input) for c in calls] == [("Bash", {"command": COMMAND})]

        denied: Future[Any] = pool.submit(agent_call, a, e2e_key)
        card = page.locator("article.approval").first
        await card.wait_for(timeout=20_000)  # the page re-reads the queue: no reload
        await card.locator("input[name=reason]").fill("force-push is not allowed; open a PR")
        session = await card.locator(".session-calls").inner_text()  # the approved call
        assert "Bash" in session and COMMAND in session
        await shoot(page, "approvals.png", full_page=True)
        await card.locator("button.deny").click()
        await page.locator("#flash").wait_for(timeout=10_000)
        message = await asyncio.wrap_future(denied)
        await page.locator("#recent-table").wait_for(timeout=10_000)
        recent = await page.locator("#recent-table").inner_text()
        assert "Denied" in recent and "Approved" in recent and "reviewer" in recent

        await page.goto(b.url + "/activity/monitor")  # the monitor's panel decides too
        await page.wait_for_selector("#conn.live", timeout=10_000)
        from_monitor: Future[Any] = pool.submit(agent_call, a, e2e_key)
        item = page.locator("#approvals-list li").first
        await item.wait_for(timeout=20_000)
        await item.locator("button.approve").click()
        await page.locator("#approvals-panel").wait_for(state="hidden", timeout=10_000)
        released = await asyncio.wrap_future(from_monitor)
        assert [b.name for b in released.content if b.type == "tool_use"] == ["Bash"]
    said = "".join(block.text for block in message.content if block.type == "text")
    assert [block for block in message.content if block.type == "tool_use"] == []
    assert "⛔ Luthien blocked a tool call" in said
    assert "force-push is not allowed; open a PR" in said
    assert message.stop_reason == "end_turn"
