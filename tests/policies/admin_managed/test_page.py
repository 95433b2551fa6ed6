"""The policy page: staff only, every class with a form, enable, errors, test detection."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from policies.models import PolicyConfig
from policies.runtime import policy_runtime

pytestmark = pytest.mark.django_db(transaction=True)


def test_anonymous_and_non_staff_are_sent_to_login() -> None:
    response = Client().get("/policies/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client = Client()
    client.force_login(get_user_model().objects.create_user("joe"))
    assert client.get("/policies/").status_code == 302
    assert client.get("/activity/first-for-policy").status_code == 403
    assert Client().post("/policies/enable", {"policy_class": "noop"}).status_code == 302
    assert not PolicyConfig.objects.exists()


def test_page_shows_current_policy_classes_docs_and_snippets(admin_client: Client) -> None:
    page = admin_client.get("/policies/").content.decode()
    assert 'id="current-name">noop<' in page
    for name in ("all-caps", "string-replace", "tool-judge"):
        assert f'id="enable-{name}"' in page
    assert "threshold" in page and "whole_words" in page  # field docs from the schemas
    assert "mock/echo" in page and "http://testserver/v1/chat/completions" in page
    assert 'id="policy-detect"' in page


def test_enable_from_the_page(admin_client: Client, admin_user: Any) -> None:
    response = admin_client.post(
        "/policies/enable",
        {
            "policy_class": "string-replace",
            "name": "rep",
            "config": json.dumps({"replacements": {"a": "b"}}),
        },
    )
    assert response.status_code == 302 and response["Location"] == "/policies/#test"
    row = PolicyConfig.objects.get(is_active=True)
    assert (row.name, row.activated_by) == ("rep", admin_user.get_username())
    assert policy_runtime().current().name == "rep"
    page = admin_client.get("/policies/").content.decode()
    assert "rep v1 is now the active policy." in page and 'id="current-name">rep<' in page


def test_enable_errors_are_shown_next_to_the_form(admin_client: Client) -> None:
    response = admin_client.post(
        "/policies/enable",
        {
            "policy_class": "tool-judge",
            "name": "judge",
            "config": json.dumps({"threshold": "<b>high</b>"}),
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "config.threshold: Input should be a valid number" in page
    assert "<b>high</b>" not in page and "&lt;b&gt;high&lt;/b&gt;" in page  # escaped
    bad_name = admin_client.post("/policies/enable", {"policy_class": "noop", "name": "a b"})
    assert "use 1-100 letters" in bad_name.content.decode()
    assert not PolicyConfig.objects.exists()


def test_latest_transaction_endpoint(admin_client: Client) -> None:
    from activity.models import Transaction

    url = "/activity/first-for-policy"
    since = timezone.now()
    query = {"policy": "caps", "version": "1", "after": since.isoformat()}
    assert admin_client.get(url, query).json() == {"found": False}
    Transaction.objects.create(
        id="tx1",
        started_at=since + timedelta(seconds=1),
        client_format="openai",
        model="mock/echo",
        status="completed",
        policy_name="caps",
        policy_version=1,
    )
    found = admin_client.get(url, query).json()
    assert found["found"] is True
    assert found["transaction"]["url"] == "/activity/tx1/"
    assert found["transaction"]["status"] == "completed"
    assert admin_client.get(url, {"policy": "caps"}).status_code == 400
