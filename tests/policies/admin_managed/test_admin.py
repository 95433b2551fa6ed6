"""Django admin: saved policies (create, validation errors, activate, history) and API keys."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from gateway.models import ApiKey
from policies.models import PolicyConfig, PolicyConfigHistory
from policies.runtime import policy_runtime

pytestmark = pytest.mark.django_db(transaction=True)

ADD_URL = "/admin/policies/policyconfig/add/"
LIST_URL = "/admin/policies/policyconfig/"


def _add(client: Client, **fields: Any) -> Any:
    data = {"name": "judge", "policy_class": "tool-judge", "description": "", "config": "{}"}
    data.update(fields)
    return client.post(ADD_URL, data, follow=True)


def test_add_form_lists_classes_and_field_docs(admin_client: Client) -> None:
    page = admin_client.get(ADD_URL).content.decode()
    assert '<option value="all-caps">' in page and "threshold" in page


def test_create_through_the_admin_uses_the_service(admin_client: Client, admin_user: Any) -> None:
    response = _add(admin_client, config=json.dumps({"threshold": 0.4}))
    assert response.status_code == 200
    row = PolicyConfig.objects.get(name="judge")
    assert row.config == {"threshold": 0.4} and row.created_by == admin_user
    entry = PolicyConfigHistory.objects.get(policy=row)
    assert (entry.action, entry.actor) == ("created", admin_user.get_username())


def test_validation_error_is_shown_next_to_the_config(admin_client: Client) -> None:
    response = _add(admin_client, config=json.dumps({"threshold": "very"}))
    page = response.content.decode()
    assert "config.threshold: Input should be a valid number" in page
    assert "errorlist" in page and not PolicyConfig.objects.exists()
    page = _add(admin_client, config="{not json").content.decode()
    assert "Enter a valid JSON." in page


def test_activate_action_marks_the_row_and_switches_the_runtime(
    admin_client: Client, saved: Any
) -> None:
    row = saved("caps")
    response = admin_client.post(
        LIST_URL, {"action": "activate", "_selected_action": [row.pk]}, follow=True
    )
    assert "caps v1 is now the active policy." in response.content.decode().lower()
    assert PolicyConfig.objects.get(pk=row.pk).is_active
    assert policy_runtime().current().name == "caps"
    listing = admin_client.get(LIST_URL).content.decode()
    assert 'alt="True"' in listing  # the active row is marked


def test_view_only_staff_cannot_activate(saved: Any) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    row = saved("caps")
    user = get_user_model().objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_policyconfig"))
    client = Client()
    client.force_login(user)
    assert 'value="activate"' not in client.get(LIST_URL).content.decode()
    client.post(LIST_URL, {"action": "activate", "_selected_action": [row.pk]}, follow=True)
    assert not PolicyConfig.objects.filter(is_active=True).exists()
    assert policy_runtime().current().name == "noop"


def test_activate_action_needs_exactly_one(admin_client: Client, saved: Any) -> None:
    rows = [saved("one"), saved("two")]
    response = admin_client.post(
        LIST_URL, {"action": "activate", "_selected_action": [r.pk for r in rows]}, follow=True
    )
    assert "Select exactly one policy" in response.content.decode()
    assert not PolicyConfig.objects.filter(is_active=True).exists()


def test_change_form_updates_and_shows_history(admin_client: Client, saved: Any) -> None:
    row = saved("rep", "string-replace", {"replacements": {"a": "b"}})
    url = f"/admin/policies/policyconfig/{row.pk}/change/"
    data = {
        "policy_class": "string-replace",
        "description": "new",
        "config": json.dumps({"replacements": {"a": "c"}}),
    }
    data.update(
        {
            "history-TOTAL_FORMS": "1",
            "history-INITIAL_FORMS": "1",
            "history-MIN_NUM_FORMS": "0",
            "history-MAX_NUM_FORMS": "1000",
        }
    )
    response = admin_client.post(url, data, follow=True)
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.version == 2 and row.config == {"replacements": {"a": "c"}}
    page = admin_client.get(url).content.decode()
    assert "updated" in page and "created" in page and "&quot;c&quot;" in page
    assert PolicyConfigHistory.objects.filter(policy=row).count() == 2


def test_active_row_cannot_be_deleted(admin_client: Client, saved: Any) -> None:
    from policies.services import policy_config_activate

    row = saved("caps")
    policy_config_activate(policy=row)
    response = admin_client.get(f"/admin/policies/policyconfig/{row.pk}/delete/")
    assert response.status_code == 403
    other = saved("other")
    admin_client.post(f"/admin/policies/policyconfig/{other.pk}/delete/", {"post": "yes"})
    assert not PolicyConfig.objects.filter(name="other").exists()
    assert PolicyConfigHistory.objects.filter(policy_name="other", action="deleted").exists()


def test_api_key_secret_is_shown_once_and_hash_never(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/gateway/apikey/add/", {"name": "ci", "may_override_policy": "on"}, follow=True
    )
    page = response.content.decode()
    key = ApiKey.objects.get(name="ci")
    assert "it will not be shown again" in page and "lk-" + key.prefix in page
    assert key.may_override_policy
    change = admin_client.get(f"/admin/gateway/apikey/{key.pk}/change/").content.decode()
    listing = admin_client.get("/admin/gateway/apikey/").content.decode()
    for html in (change, listing):
        assert key.secret_hash not in html and "not be shown again" not in html
    assert "Last used at" in change or "last used" in change.lower()


def test_api_key_revoke_action(admin_client: Client) -> None:
    from gateway.keys import api_key_create

    key, _ = api_key_create(name="old")
    admin_client.post(
        "/admin/gateway/apikey/", {"action": "revoke", "_selected_action": [key.pk]}, follow=True
    )
    key.refresh_from_db()
    assert key.is_active is False


def test_api_key_rate_limit_is_set_in_admin(admin_client: Client) -> None:
    from gateway.keys import client_key_authenticate

    response = admin_client.post(
        "/admin/gateway/apikey/add/",
        {"name": "agent", "rate_limit_per_minute": "30", "rate_limit_burst": "5"},
        follow=True,
    )
    secret = re.search(r"lk-[A-Za-z0-9_\-]+", response.content.decode())
    assert secret is not None
    key = ApiKey.objects.get(name="agent")
    assert (key.rate_limit_per_minute, key.rate_limit_burst) == (30, 5)
    identity = async_to_sync(client_key_authenticate)(secret.group(0))
    assert identity is not None and identity.rate_limit_per_minute == 30
    admin_client.post(
        f"/admin/gateway/apikey/{key.pk}/change/",
        {"name": "agent", "may_override_policy": "", "rate_limit_per_minute": "0"},
        follow=True,
    )
    key.refresh_from_db()
    assert (key.rate_limit_per_minute, key.rate_limit_burst) == (0, None)
    changed = async_to_sync(client_key_authenticate)(secret.group(0))
    assert changed is not None and changed.rate_limit_per_minute == 0  # the cache was cleared
