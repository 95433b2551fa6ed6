"""The activity pages: staff only, filters and pagination wired to the selectors, detail links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.activity.pages.factories import make_transaction

pytestmark = pytest.mark.django_db

PAGES = ["/activity/", "/activity/monitor", "/activity/0123456789abcdef0123456789abcdef/"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_login(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["location"].startswith("/admin/login/?next=")


@pytest.mark.parametrize("path", PAGES)
def test_non_staff_is_sent_to_login(member_client: Client, path: str) -> None:
    response = member_client.get(path)
    assert response.status_code == 302 and "/admin/login/" in response["location"]


def test_monitor_page(staff_client: Client) -> None:
    response = staff_client.get("/activity/monitor")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="monitor-config"' in html and "/ws/activity/" in html
    assert 'class="active">Live' in html.replace('href="/activity/monitor" ', "")
    assert "innerHTML" not in html  # data goes in with textContent only
    assert staff_client.get("/activity/monitor/").status_code == 200


def test_history_lists_newest_first_with_links(staff_client: Client) -> None:
    now = timezone.now()
    older = make_transaction(started_at=now - timedelta(minutes=5), model="gpt-4o")
    newer = make_transaction(
        started_at=now, status="blocked", model="claude-x", events=[{"action": "blocked"}]
    )
    html = staff_client.get("/activity/").content.decode()
    assert html.index(newer.id) < html.index(older.id)
    assert f'href="/activity/{newer.id}/"' in html
    assert "status-blocked" in html and "claude-x" in html


def test_history_filters_come_from_the_query(staff_client: Client) -> None:
    hit = make_transaction(model="gpt-4o", key="alice")
    miss = make_transaction(model="gpt-4o", key="bob")
    html = staff_client.get("/activity/", {"key": "alice", "model": "gpt"}).content.decode()
    assert hit.id in html and miss.id not in html
    assert 'value="alice"' in html  # the form keeps its values
    empty = staff_client.get("/activity/", {"q": "no such words anywhere"}).content.decode()
    assert "match these filters" in empty


def test_history_pagination_keeps_filters(staff_client: Client) -> None:
    now = timezone.now()
    for i in range(55):
        make_transaction(started_at=now - timedelta(seconds=i), key="pager")
    first = staff_client.get("/activity/", {"key": "pager"}).content.decode()
    assert "?key=pager&amp;page=2" in first
    second = staff_client.get("/activity/", {"key": "pager", "page": "2"}).content.decode()
    assert second.count('<tr class="" data-id=') == 5
    assert "?key=pager&amp;page=1" in second
    assert staff_client.get("/activity/", {"page": "nonsense"}).status_code == 200


def test_detail_summary_timeline_and_links(staff_client: Client) -> None:
    row = make_transaction(
        policy="tool-judge",
        session_id="sess-1",
        events=[
            {"action": "allowed", "reason": "routine read", "details": {"probability": 0.1}},
            {"action": "blocked", "reason": "rm -rf", "details": {"probability": 0.97}},
        ],
    )
    html = staff_client.get(f"/activity/{row.id}/").content.decode()
    assert row.id in html and "sess-1" in html and "tool-judge" in html
    assert html.index("routine read") < html.index("rm -rf")
    assert "+10 ms" in html and "+20 ms" in html
    assert f'href="/admin/activity/transaction/{row.id}/change/"' in html
    assert f'href="/api/admin/debug/transactions/{row.id}"' in html
    assert 'href="/activity/monitor"' in html


def test_detail_of_purged_bodies(staff_client: Client) -> None:
    row = make_transaction(with_body=False)
    html = staff_client.get(f"/activity/{row.id}/").content.decode()
    assert "bodies of this transaction are not kept" in html
    assert "not recorded" in html


def test_unknown_transaction_is_a_friendly_404(staff_client: Client) -> None:
    response = staff_client.get("/activity/ffffffffffffffffffffffffffffffff/")
    assert response.status_code == 404
    assert b"Transaction not found" in response.content


def test_history_marks_pass_through_calls_and_filters_by_endpoint(staff_client: Client) -> None:
    counted = make_transaction(endpoint="/v1/messages/count_tokens", policy="")
    proxied = make_transaction(endpoint="/v1/messages")
    html = staff_client.get("/activity/").content.decode()
    row = html[html.index(f'data-id="{counted.id}"') :]
    assert 'class="muted pass-through"' in row[: row.index("</tr>")]
    other = html[html.index(f'data-id="{proxied.id}"') :]
    assert "pass-through" not in other[: other.index("</tr>")]
    only = {"endpoint": "/v1/messages/count_tokens"}
    filtered = staff_client.get("/activity/", only).content.decode()
    assert counted.id in filtered and proxied.id not in filtered
    assert 'value="/v1/messages/count_tokens" selected' in filtered
    ignored = staff_client.get("/activity/", {"endpoint": "/v1/unknown"}).content.decode()
    assert counted.id in ignored and proxied.id in ignored  # an unknown value filters nothing


def test_detail_shows_the_endpoint(staff_client: Client) -> None:
    counted = make_transaction(endpoint="/v1/messages/count_tokens", policy="")
    html = staff_client.get(f"/activity/{counted.id}/").content.decode()
    assert "/v1/messages/count_tokens" in html and "pass-through, no policy" in html
    proxied = make_transaction(endpoint="/v1/chat/completions")
    html = staff_client.get(f"/activity/{proxied.id}/").content.decode()
    assert "/v1/chat/completions" in html and "pass-through" not in html
