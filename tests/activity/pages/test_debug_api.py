"""Debug endpoints under /api/admin/debug/: staff session or admin key; 401 anonymous, 403
non-staff; recent list without bodies, one transaction with events and bodies, its diff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.activity.pages.factories import make_transaction, openai_request

pytestmark = pytest.mark.django_db

BASE = "/api/admin/debug/transactions"
TX = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("path", [BASE, f"{BASE}/{TX}", f"{BASE}/{TX}/diff"])
def test_anonymous_gets_401(client: Client, admin_key: str, path: str) -> None:
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"authorization": "Bearer nope"}).status_code == 401
    assert client.get(path, headers={"authorization": admin_key}).status_code == 401


@pytest.mark.parametrize("path", [BASE, f"{BASE}/{TX}", f"{BASE}/{TX}/diff"])
def test_non_staff_gets_403(member_client: Client, path: str) -> None:
    assert member_client.get(path).status_code == 403


def test_admin_key_without_a_session(client: Client, admin_key: str) -> None:
    make_transaction()
    response = client.get(BASE, headers={"authorization": f"Bearer {admin_key}"})
    assert response.status_code == 200
    assert len(response.json()["transactions"]) == 1


def test_unset_admin_key_opens_nothing(client: Client, settings: object) -> None:
    settings.ADMIN_API_KEY = ""  # type: ignore[attr-defined]
    assert client.get(BASE, headers={"authorization": "Bearer "}).status_code == 401


def test_recent_transactions_have_no_bodies(staff_client: Client) -> None:
    now = timezone.now()
    rows = [make_transaction(started_at=now - timedelta(seconds=i)) for i in range(4)]
    data = staff_client.get(BASE, {"limit": 3}).json()["transactions"]
    assert [item["id"] for item in data] == [row.id for row in rows[:3]]
    first = data[0]
    assert first["status"] == "completed" and first["api_key_name"] == "ci-key"
    assert "body" not in first and "request_original" not in first
    assert first["started_at"].startswith(str(now.year))


def test_one_transaction_with_events_and_bodies(staff_client: Client) -> None:
    row = make_transaction(
        request=openai_request("hi"),
        events=[{"action": "judged", "reason": "low risk", "details": {"score": 0.2}}],
    )
    data = staff_client.get(f"{BASE}/{row.id}").json()
    assert data["id"] == row.id
    assert data["events"] == [
        {
            "seq": 0,
            "at": data["events"][0]["at"],
            "policy": "noop",
            "action": "judged",
            "reason": "low risk",
            "details": {"score": 0.2},
        }
    ]
    assert data["bodies"]["request_original"] == openai_request("hi")
    assert set(data["bodies"]) == {
        "request_original",
        "request_final",
        "response_original",
        "response_final",
    }


def test_unknown_transaction_is_404(staff_client: Client) -> None:
    assert staff_client.get(f"{BASE}/{TX}").status_code == 404
    assert staff_client.get(f"{BASE}/{TX}/diff").status_code == 404


def test_diff_without_bodies(staff_client: Client) -> None:
    row = make_transaction(with_body=False)
    data = staff_client.get(f"{BASE}/{row.id}/diff").json()
    assert data["request"]["original_missing"] and data["response"]["final_missing"]
    assert data["request"]["changed"] is False


def test_recorder_flush_needs_the_admin_key_and_settles_the_recorder(
    client: Client, admin_key: str, member_client: Client
) -> None:
    path = "/api/admin/debug/recorder/flush"
    assert client.post(path).status_code == 401
    assert member_client.post(path).status_code == 403
    response = client.post(path, headers={"authorization": f"Bearer {admin_key}"})
    assert response.status_code == 200
    body = response.json()
    assert body["flushed"] is True
    assert body["recorder"]["queued"] == 0
