"""The `/approvals/` page and the approval parts of the monitor and the detail page: what a
reviewer sees (arguments, the model's text, the reason, the session's recent calls), deciding
(approve, edit, deny; permission; conflicts), and the recorded decision in history. Data from
the model is escaped."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from policies.approvals import services
from policies.models import PendingApproval
from tests.activity.pages.factories import make_transaction, openai_reply, tool_call

pytestmark = pytest.mark.django_db


def held(**overrides: Any) -> PendingApproval:
    fields: dict[str, Any] = {
        "transaction_id": "f" * 32,
        "policy": "ask-first",
        "reason": "the tool Bash needs approval",
        "tool_name": "Bash",
        "tool_call_id": "call_9",
        "arguments": json.dumps({"command": "git push --force <origin>"}),
        "timeout_s": 300,
        "context_text": "I'll force-push <b>now</b>.",
        "session_id": "sess-1",
        "api_key_name": "ci-key",
        "model": "mock/tool",
        **overrides,
    }
    return services.approval_create(services.HeldCall(**fields))


@pytest.fixture
def decider(db: None) -> Client:
    """A staff user allowed to change policies (and so to decide)."""
    user = get_user_model().objects.create_user(username="lead", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_policyconfig"))
    client = Client()
    client.force_login(user)
    return client


def test_page_shows_what_a_reviewer_needs(staff_client: Client) -> None:
    make_transaction(
        session_id="sess-1",
        response_final=openai_reply(None, tool_calls=[tool_call("Read", {"file_path": ".env"})]),
    )
    row = held()
    page = staff_client.get("/approvals/").content.decode()
    assert f'data-id="{row.id.hex}"' in page
    assert "the tool Bash needs approval" in page and "ask-first" in page
    assert "git push --force &lt;origin&gt;" in page  # escaped
    assert "I&#x27;ll force-push &lt;b&gt;now&lt;/b&gt;." in page
    assert "Read" in page and "file_path" in page  # the session's earlier call
    assert "Deciding needs the policies.change_policyconfig permission" in page


def test_anonymous_is_sent_to_login(client: Client) -> None:
    assert client.get("/approvals/").status_code == 302
    assert (
        client.post(f"/approvals/{held().id.hex}/decide", {"action": "approve"}).status_code == 302
    )


def test_deciding_needs_the_permission(staff_client: Client) -> None:
    row = held()
    answer = staff_client.post(f"/approvals/{row.id.hex}/decide", {"action": "approve"})
    assert answer.status_code == 403
    assert PendingApproval.objects.get(id=row.id).status == "pending"


def test_approve_with_edited_arguments(decider: Client) -> None:
    row = held()
    answer = decider.post(
        f"/approvals/{row.id.hex}/decide",
        {"action": "approve", "arguments": '{"command": "git push"}', "reason": ""},
    )
    assert answer.status_code == 302
    decided = PendingApproval.objects.get(id=row.id)
    assert decided.status == "approved" and decided.decided_by == "lead"
    assert json.loads(decided.edited_arguments or "") == {"command": "git push"}
    page = decider.get(answer["Location"]).content.decode()
    assert "Bash call approved by lead." in page


def test_approve_unchanged_arguments_is_not_an_edit(decider: Client) -> None:
    row = held()
    shown = json.dumps(json.loads(row.arguments), indent=2)
    decider.post(f"/approvals/{row.id.hex}/decide", {"action": "approve", "arguments": shown})
    assert PendingApproval.objects.get(id=row.id).edited_arguments is None


def test_deny_with_reason_and_conflicts(decider: Client) -> None:
    row = held()
    decider.post(f"/approvals/{row.id.hex}/decide", {"action": "deny", "reason": "use a PR"})
    decided = PendingApproval.objects.get(id=row.id)
    assert (decided.status, decided.decision_reason) == ("denied", "use a PR")
    again = decider.post(f"/approvals/{row.id.hex}/decide", {"action": "approve"})
    assert again.status_code == 409 and b"already denied" in again.content
    bad = held()
    invalid = decider.post(
        f"/approvals/{bad.id.hex}/decide", {"action": "approve", "arguments": "{oops"}
    )
    assert invalid.status_code == 400 and b"not valid JSON" in invalid.content


def test_cards_fragment_lists_pending_and_recent(staff_client: Client) -> None:
    pending, done = held(), held(tool_name="Write")
    services.approval_decide(
        approval_id=done.id, approve=False, actor=services.Actor(label="bot"), reason="no"
    )
    fragment = staff_client.get("/approvals/cards").content.decode()
    assert f'data-id="{pending.id.hex}"' in fragment
    assert "Denied" in fragment and "bot" in fragment


def test_monitor_lists_pending_approvals(staff_client: Client) -> None:
    row = held()
    page = staff_client.get("/activity/monitor").content.decode()
    assert row.id.hex in page and "Waiting for approval" in page


def test_detail_page_shows_who_decided(staff_client: Client) -> None:
    tx = make_transaction()
    row = held(transaction_id=tx.id)
    services.approval_decide(
        approval_id=row.id, approve=True, actor=services.Actor(label="admin API key")
    )
    page = staff_client.get(f"/activity/{tx.id}/").content.decode()
    assert 'id="tx-approvals"' in page and "admin API key" in page and "Approved" in page


def test_admin_api_lists_and_decides(client: Client, settings: Any) -> None:
    settings.ADMIN_API_KEY = "k" * 40
    auth = {"HTTP_AUTHORIZATION": "Bearer " + "k" * 40}
    row = held()
    listed = client.get("/api/admin/approvals", **auth).json()
    assert [a["id"] for a in listed] == [row.id.hex]
    assert listed[0]["arguments"] == {"command": "git push --force <origin>"}
    assert client.get("/api/admin/approvals").status_code == 401
    missing = client.post(
        "/api/admin/approvals/" + "0" * 32 + "/deny", "{}", "application/json", **auth
    )
    assert missing.status_code == 404
    denied = client.post(
        f"/api/admin/approvals/{row.id.hex}/deny", '{"reason": "no"}', "application/json", **auth
    )
    assert denied.status_code == 200 and denied.json()["status"] == "denied"
    conflict = client.post(
        f"/api/admin/approvals/{row.id.hex}/approve", "{}", "application/json", **auth
    )
    assert conflict.status_code == 409
    assert client.get("/api/admin/approvals?status=all", **auth).json()[0]["decided_by"] == (
        "admin API key"
    )


def test_admin_api_staff_without_permission_may_read_not_decide(staff_client: Client) -> None:
    row = held()
    assert staff_client.get("/api/admin/approvals").status_code == 200
    answer = staff_client.post(
        f"/api/admin/approvals/{row.id.hex}/approve", "{}", "application/json"
    )
    assert answer.status_code == 403 and b"change_policyconfig" in answer.content
