"""The session list and page: staff only, totals, escaping, the clear button's permission, and
the admin API's session reads."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from activity.models import SessionClearance
from activity.sessions import session_clear
from policies.session import SessionView, session_store
from tests.activity.pages.factories import make_transaction, openai_reply, openai_request, tool_call

pytestmark = pytest.mark.django_db
EVIL = "<script>alert(1)</script>"


def _session(session_id: str = "s-1") -> None:
    start = timezone.now() - timedelta(minutes=5)
    make_transaction(
        session_id=session_id,
        started_at=start,
        request=openai_request("fix the bug"),
        response=openai_reply(None, tool_calls=[tool_call("Bash", {"command": "rm -rf ~"})]),
        blocked=True,
        events=[
            {"action": "blocked", "policy": "presets", "reason": EVIL, "details": {"tool": "Bash"}}
        ],
    )
    make_transaction(
        session_id=session_id,
        started_at=start + timedelta(seconds=30),
        request=openai_request("try again"),
        response=openai_reply("ok"),
        events=[{"action": "escalate", "policy": "taint", "reason": "needs approval"}],
    )


def test_list_and_page_show_totals_in_order(staff_client: Client) -> None:
    _session()
    listing = staff_client.get("/activity/sessions/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert 'data-session="s-1"' in html
    page = staff_client.get("/activity/sessions/s-1/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-total="calls">2<' in html
    assert 'data-total="blocked">1<' in html
    assert 'data-total="escalated">1<' in html
    assert 'data-total="tokens">10 / 8<' in html
    assert EVIL not in html and "&lt;script&gt;" in html
    order = [
        html.index(t)
        for t in (
            "fix the bug",
            "presets: blocked (Bash)",
            "tool call: Bash",
            "try again",
            "taint: escalate",
        )
    ]
    assert order == sorted(order)


def test_pages_need_staff(member_client: Client, client: Client) -> None:
    _session()
    assert member_client.get("/activity/sessions/").status_code == 302
    assert client.get("/activity/sessions/s-1/").status_code == 302
    assert client.post("/activity/sessions/s-1/clear").status_code == 302


def test_unknown_session_is_404(staff_client: Client) -> None:
    assert staff_client.get("/activity/sessions/nope/").status_code == 404


def test_clearing_needs_the_permission(staff_client: Client) -> None:
    _session()
    assert staff_client.post("/activity/sessions/s-1/clear").status_code == 403
    assert not SessionClearance.objects.exists()
    boss = get_user_model().objects.create_superuser("boss", "b@x.org", "x")
    client = Client()
    client.force_login(boss)
    assert client.post("/activity/sessions/s-1/clear").status_code == 302
    (row,) = SessionClearance.objects.all()
    assert (row.session_id, row.cleared_by) == ("s-1", "boss")


def test_clearing_drops_this_workers_cache(transactional_db: None) -> None:
    session_store().add("s-9", _event())
    assert session_store().snapshot("s-9")[0]
    session_clear(session_id="s-9", actor="me")
    assert session_store().snapshot("s-9") == ([], 0.0)


def _event() -> Any:
    from policies.session import SessionEvent

    return SessionEvent("t1", "p", "blocked", 1.0)


def test_admin_api_reads_sessions(client: Client, admin_key: str) -> None:
    _session("team/s:1")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {admin_key}"}
    (listed,) = client.get("/api/admin/sessions", **auth).json()
    assert (listed["session_id"], listed["calls"], listed["blocked"], listed["escalated"]) == (
        "team/s:1",
        2,
        1,
        1,
    )
    one = client.get("/api/admin/sessions/team/s:1", **auth).json()
    assert [i["kind"] for i in one["timeline"]][:3] == ["prompt", "decision", "tool_call"]
    assert client.get("/api/admin/sessions/missing", **auth).status_code == 404
    assert client.get("/api/admin/sessions").status_code == 401


def test_session_view_counts() -> None:
    from policies.session import SessionEvent

    view = SessionView(
        "s",
        events=[
            SessionEvent("a", "p", "blocked", 10.0),
            SessionEvent("b", "q", "blocked", 20.0),
            SessionEvent("b", "q", "allowed", 21.0),
        ],
    )
    assert view.count("blocked") == 2
    assert view.count("blocked", policy="q") == 1
    assert view.count("blocked", since=15.0) == 1


def test_the_list_shows_recent_sessions_unless_asked_for_all(staff_client: Client) -> None:
    make_transaction(session_id="old-one", started_at=timezone.now() - timedelta(days=40))
    _session("new-one")
    recent = staff_client.get("/activity/sessions/").content.decode()
    assert 'data-session="new-one"' in recent and "old-one" not in recent
    everything = staff_client.get("/activity/sessions/?range=all").content.decode()
    assert 'data-session="old-one"' in everything
    day = staff_client.get("/activity/sessions/?range=bogus").content.decode()
    assert "old-one" not in day
