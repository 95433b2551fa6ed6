"""Hostile model and client output is shown as text everywhere: list, detail, debug JSON, and
the monitor (which inserts data with textContent only)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.activity.pages.factories import make_transaction, openai_reply, openai_request, tool_call

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '" onmouseover="alert(1)" x="'
MARKDOWN = "[x](javascript:alert(1))"
IMG = "<img src=x onerror=alert(1)>"
HOSTILE = f"{SCRIPT} {ATTRIBUTE} {MARKDOWN} {IMG}"

pytestmark = pytest.mark.django_db


@pytest.fixture
def hostile() -> Any:
    """A transaction with hostile text in every field a model or client controls."""
    return make_transaction(
        model=f"evil{SCRIPT}",
        key=f"key{ATTRIBUTE}",
        policy=f"policy{IMG}",
        session_id=MARKDOWN,
        error=HOSTILE,
        status="blocked",
        request=openai_request(HOSTILE),
        request_final=openai_request(HOSTILE + " (rewritten)"),
        response=openai_reply(None, tool_calls=[tool_call(SCRIPT, {"cmd": HOSTILE})]),
        response_final=openai_reply(f"Click {MARKDOWN} or {SCRIPT}"),
        events=[
            {
                "policy": SCRIPT,
                "action": f"blocked{ATTRIBUTE}",
                "reason": HOSTILE,
                "details": {SCRIPT: ATTRIBUTE, "link": MARKDOWN},
            }
        ],
    )


def assert_inert(html: str) -> None:
    """No hostile markup survived: no script, no injected attribute, no javascript: link."""
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert not re.search(r'\sonmouseover="alert', html)
    assert not re.search(r'href=["\']?\s*javascript:', html, re.I)
    # the page's own scripts are the only ones (the monitor has exactly one, none elsewhere)
    assert html.count("<script") <= 2


def test_history_list_escapes(staff_client: Client, hostile: Any) -> None:
    html = staff_client.get("/activity/").content.decode()
    assert_inert(html)
    assert "evil&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "key&quot; onmouseover=&quot;alert(1)&quot;" in html


def test_history_search_escapes_the_query(staff_client: Client, hostile: Any) -> None:
    html = staff_client.get("/activity/", {"q": SCRIPT, "model": ATTRIBUTE}).content.decode()
    assert_inert(html)
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in html


def test_detail_escapes(staff_client: Client, hostile: Any) -> None:
    html = staff_client.get(f"/activity/{hostile.id}/").content.decode()
    assert_inert(html)
    assert "[x](javascript:alert(1))" in html  # shown as text, never as a link
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "action-blocked-onmouseoveralert1-x" in html  # class names are slugified


def test_missing_page_escapes_the_id(staff_client: Client) -> None:
    html = staff_client.get("/activity/%3Cscript%3Ealert(1)%3C%2Fscript%3E/").content.decode()
    assert_inert(html)


@pytest.mark.parametrize("suffix", ["", "/diff"])
def test_debug_json_escapes_markup(staff_client: Client, hostile: Any, suffix: str) -> None:
    response = staff_client.get(f"/api/admin/debug/transactions/{hostile.id}{suffix}")
    assert response.status_code == 200
    assert response["content-type"] == "application/json"
    raw = response.content
    assert b"<" not in raw and b">" not in raw and b"&" not in raw
    data = json.loads(raw)  # ... and decodes to exactly what was stored
    if suffix:
        assert any(SCRIPT in line for line in data["request"]["original"])
    else:
        assert data["bodies"]["request_original"]["messages"][0]["content"] == HOSTILE
        assert data["events"][0]["reason"] == HOSTILE


def test_debug_list_escapes_markup(staff_client: Client, hostile: Any) -> None:
    raw = staff_client.get("/api/admin/debug/transactions").content
    assert b"<script>" not in raw
    assert json.loads(raw)["transactions"][0]["model"] == f"evil{SCRIPT}"


def test_monitor_script_never_parses_data_as_markup() -> None:
    source = Path(__file__).resolve().parents[3] / "templates/activity/_monitor_js.html"
    code = source.read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in code
    assert "textContent" in code
