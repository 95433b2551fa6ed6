"""In headless Chromium: a reviewer logs in, watches requests arrive live on the monitor, opens
one, and sees exactly what the policy changed. Screenshots go to docs/screenshots/.

Uses Debian's Chromium (`/usr/bin/chromium`) through Playwright's async API (its sync API keeps
an event loop running in the test's thread, which Django's ORM refuses), real gateway processes
(uvicorn) and the mock upstream process, and the official `openai` SDK as the client (run in a
worker thread, as a separate program would).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import database_url_for_tests
from tests.e2e.servers import ROOT, Server, gateway_env, start_gateway

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = os.environ.get("LUTHIEN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "browser-pw-1"
HOSTILE = "<img src=x onerror=alert(1)> hello"
POLICY_YAML = """\
name: demo-guard
description: Redacts a password and lets an LLM judge block risky tool calls.
policy: chain
config:
  members:
    - policy: string-replace
      label: redact-secrets
      config:
        replacements: {"hunter2": "[redacted]"}
        apply_to_request: true
    - policy: tool-judge
      label: tool-judge
      config: {threshold: 0.6}
"""


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Any]:
    """Headless Chromium driven by Playwright."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield instance
        await instance.close()


@pytest.fixture(scope="module")
def policy_gateway(
    django_db_setup: Any, django_db_blocker: Any, mock_server: Server, tmp_path_factory: Any
) -> Iterator[Server]:
    """A second gateway process whose policy (from `POLICY_CONFIG`) rewrites and blocks."""
    with django_db_blocker.unblock():
        database_url = database_url_for_tests()
    folder = tmp_path_factory.mktemp("policy-gateway")
    policy_file = folder / "policy.yaml"
    policy_file.write_text(POLICY_YAML)
    env = gateway_env(
        database_url,
        mock_server.url,
        LUTHIEN_SPILL_DIR=str(folder / "spill"),
        POLICY_CONFIG=str(policy_file),
    )
    server = start_gateway(env)
    yield server
    server.stop()


@pytest.fixture
def staff_password(transactional_db: None) -> str:
    """A staff user `reviewer` (committed, so the gateway processes see it)."""
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(username="reviewer", password=PASSWORD, is_staff=True)
    return PASSWORD


async def logged_in_page(browser: Any, server: Server) -> Any:
    """A new page signed in through the admin login form, on the live monitor."""
    page = await browser.new_page(viewport={"width": 1360, "height": 820})
    await page.goto(server.url + "/admin/login/?next=/activity/monitor")
    await page.fill("#id_username", "reviewer")
    await page.fill("#id_password", PASSWORD)
    await page.click("input[type=submit]")
    await page.wait_for_url("**/activity/monitor")
    await page.wait_for_selector("#conn.live", timeout=10_000)
    return page


async def send(
    server: Server, key: str, text: str, model: str = "mock/echo", **options: Any
) -> str:
    """`send_sync` in a worker thread."""
    return await asyncio.to_thread(send_sync, server, key, text, model, **options)


def send_sync(server: Server, key: str, text: str, model: str = "mock/echo", **options: Any) -> str:
    """One chat completion through the gateway with the official SDK; returns its id."""
    from openai import APIStatusError, OpenAI

    client = OpenAI(base_url=server.url + "/v1", api_key=key, max_retries=0, timeout=20)
    messages = [{"role": "user", "content": text}]
    if options.get("stream"):
        with client.chat.completions.with_streaming_response.create(
            model=model, messages=messages, stream=True
        ) as response:
            for _ in response.iter_lines():
                pass
            return str(response.headers["x-luthien-transaction-id"])
    try:
        raw = client.chat.completions.with_raw_response.create(
            model=model, messages=messages, extra_headers=options.get("headers")
        )
    except APIStatusError as error:  # an upstream error is passed through: still recorded
        return str(error.response.headers["x-luthien-transaction-id"])
    raw.parse()
    return str(raw.headers["x-luthien-transaction-id"])


async def open_detail(page: Any, tx_id: str) -> None:
    """Click from the monitor row to the detail page (reload while the recorder catches up)."""
    await page.click(f'tr[data-id="{tx_id}"] a.time-link')
    await page.wait_for_url(f"**/activity/{tx_id}/")
    for _ in range(50):
        if "Transaction not found" not in await page.locator("h1").inner_text():
            return
        await page.wait_for_timeout(200)
        await page.reload()
    raise AssertionError(f"transaction {tx_id} was never stored")


async def shoot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """Save a screenshot under docs/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    await page.screenshot(path=str(path), full_page=full_page)
    return path


async def test_a_request_appears_live_and_opens_its_detail(
    browser: Any, gateway_server: Server, e2e_key: str, staff_password: str
) -> None:
    page = await logged_in_page(browser, gateway_server)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    tx_id = await send(gateway_server, e2e_key, HOSTILE)
    row = page.locator(f'tr[data-id="{tx_id}"]')
    await row.locator(".status-completed").wait_for(timeout=10_000)
    text = await row.inner_text()
    assert "mock/echo" in text and "e2e-client" in text
    assert f"You said: {HOSTILE}" in await row.locator("td.c-preview").inner_text()  # as text
    assert await page.locator("#live-table img").count() == 0 and not dialogs
    await row.locator("td.c-model").click()  # expand
    assert "Open transaction details" in await page.locator("tr.expanded-row").inner_text()

    await page.select_option("#f-status", "blocked")  # filters hide what does not match
    assert not await row.is_visible()
    await page.select_option("#f-status", "")
    assert await row.is_visible()

    await page.click("#pause")  # paused: events wait until resumed
    later = await send(gateway_server, e2e_key, "sent while paused")
    await page.wait_for_function(
        "document.getElementById('paused-note').textContent.startsWith('2 new')"
    )
    assert await page.locator(f'tr[data-id="{later}"]').count() == 0
    await page.click("#pause")
    await page.locator(f'tr[data-id="{later}"] .status-completed').wait_for(timeout=5_000)
    first_row_id = await page.locator("#live-rows tr.main").first.get_attribute("data-id")
    assert first_row_id == later  # newest first
    assert await page.locator(f'tr[data-id="{later}"] .status-override').count() == 0

    from policies.services import policy_config_create

    await asyncio.to_thread(policy_config_create, name="shout", policy_class="all-caps", config={})
    chosen = await send(
        gateway_server, e2e_key, "pick my policy", headers={"X-Luthien-Policy": "shout"}
    )
    await page.locator(f'tr[data-id="{chosen}"] .status-override').wait_for(timeout=10_000)

    await open_detail(page, tx_id)
    assert await page.locator(".title-row .status").inner_text() == "completed"
    assert "unchanged" in await page.locator("#diff-request h2").inner_text()
    assert HOSTILE in await page.locator("#diff-response").inner_text()
    assert await page.locator("main img").count() == 0 and not dialogs
    await page.close()


async def test_policy_changes_live_in_history_and_in_the_diff(
    browser: Any, policy_gateway: Server, e2e_key: str, staff_password: str
) -> None:
    page = await logged_in_page(browser, policy_gateway)
    server, key = policy_gateway, e2e_key
    await send(server, key, "list the files here", model="mock/tool?name=Bash")
    await send(
        server, key, "write a haiku about gateways", model="mock/text?chunks=30", stream=True
    )
    secret = await send(server, key, "my password is hunter2, remember it")
    await send(server, key, "this one fails upstream", model="mock/error?status=503")
    blocked = await send(server, key, "rm -rf ~", model="mock/tool")
    blocked_row = page.locator(f'tr[data-id="{blocked}"]')
    await blocked_row.locator(".status-blocked").wait_for(timeout=15_000)
    await page.locator(f'tr[data-id="{secret}"] .status-completed').wait_for(timeout=10_000)
    await page.wait_for_function("document.querySelectorAll('#live-rows tr.main').length >= 5")
    await blocked_row.locator("td.c-model").click()
    expanded = await page.locator("tr.expanded-row").inner_text()
    assert "tool-judge · blocked" in expanded
    await shoot(page, "activity-monitor.png")

    await page.goto(server.url + "/activity/?range=1h")
    await page.locator(f'tr[data-id="{blocked}"]').wait_for()
    await shoot(page, "activity-history.png")
    await page.goto(server.url + "/activity/?blocked=1")
    assert await page.locator(f'tr[data-id="{blocked}"]').count() == 1
    assert await page.locator(f'tr[data-id="{secret}"]').count() == 0

    await page.goto(server.url + "/activity/monitor")
    await page.wait_for_selector("#conn.live")
    again = await send(server, key, "rm -rf ~/projects", model="mock/tool")
    await page.locator(f'tr[data-id="{again}"] .status-blocked').wait_for(timeout=15_000)
    await open_detail(page, again)
    response_diff = page.locator("#diff-response")
    assert "changed" in await response_diff.locator("h2").inner_text()
    assert "[tool call] Bash" in "".join(await response_diff.locator("td.old").all_inner_texts())
    new_side = "".join(await response_diff.locator("td.new").all_inner_texts())
    assert "Luthien blocked a tool call" in new_side
    assert "blocked" in await page.locator("table.timeline").inner_text()
    await shoot(page, "activity-detail.png", full_page=True)

    await page.goto(server.url + f"/activity/{secret}/")
    request_diff = page.locator("#diff-request")
    assert (await request_diff.locator("del").first.inner_text()).strip() == "hunter2"
    assert (await request_diff.locator("ins").first.inner_text()).strip() == "[redacted]"
    await page.close()
