"""The policy page in headless Chromium: log in, see a validation error, enable `all-caps`,
send a test request through the gateway, and watch the page detect it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import database_url_for_tests
from tests.e2e.servers import Server, gateway_env, start_gateway

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
USERNAME, PASSWORD = "staff", "staff-password-1"


@pytest.fixture
def gateway(transactional_db: None, mock_server: Server, tmp_path: Path) -> Iterator[Server]:
    """A gateway process of its own (its policy state starts fresh with this test)."""
    env = gateway_env(
        database_url_for_tests(), mock_server.url, LUTHIEN_SPILL_DIR=str(tmp_path / "spill")
    )
    server = start_gateway(env)
    yield server
    server.stop()


@pytest.fixture
def staff(transactional_db: None) -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser(USERNAME, "staff@example.com", PASSWORD)


def test_enable_a_policy_and_see_the_test_request_arrive(
    gateway: Server, staff: None, e2e_key: str, chromium: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(10_000)
            page.goto(gateway.url + "/policies/")
            assert "/admin/login/" in page.url
            page.fill("#id_username", USERNAME)
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_url("**/policies/")
            expect(page.locator("#current-name")).to_have_text("noop")

            judge = page.locator("form#enable-tool-judge")
            judge.locator("textarea").fill(json.dumps({"threshold": "very"}))
            judge.locator("button[type=submit]").click()
            expect(page.locator("form#enable-tool-judge .config-errors")).to_contain_text(
                "config.threshold: Input should be a valid number"
            )
            expect(page.locator("#current-name")).to_have_text("noop")

            page.locator("form#enable-all-caps button[type=submit]").click()
            page.wait_for_url("**/policies/#test")
            expect(page.locator("#current-name")).to_have_text("all-caps")
            detect = page.locator("#test-detect")
            expect(detect).to_have_attribute("data-state", "waiting")
            expect(page.locator("#snippet-curl")).to_contain_text("mock/echo")

            response = httpx.post(
                gateway.url + "/v1/chat/completions",
                json={"model": "mock/echo", "messages": [{"role": "user", "content": "hi"}]},
                headers={"Authorization": f"Bearer {e2e_key}"},
                timeout=10,
            )
            assert response.json()["choices"][0]["message"]["content"] == "YOU SAID: HI"
            transaction_id = response.headers["x-luthien-transaction-id"]

            expect(detect).to_have_attribute("data-state", "found")
            expect(detect).to_contain_text("completed")
            link = page.locator("#test-transaction-link")
            expect(link).to_have_attribute("href", f"/activity/{transaction_id}/")
            page.set_viewport_size({"width": 1360, "height": 900})
            page.screenshot(path=str(SCREENSHOTS / "policies-page.png"), full_page=False)
        finally:
            browser.close()
