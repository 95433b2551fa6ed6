"""Selectors: lists, lookups, history, the current policy and its source, first transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from activity.selectors import transaction_first_for_policy
from policies.selectors import (
    policy_active_get,
    policy_class_list,
    policy_config_get,
    policy_config_list,
    policy_current_get,
    policy_history_list,
)
from policies.services import Actor, policy_config_activate, policy_config_delete
from policies.validation import PolicyNotFound

pytestmark = pytest.mark.django_db(transaction=True)


def test_list_get_and_active(saved: Any) -> None:
    saved("b-policy")
    a = saved("a-policy", "noop")
    assert [row.name for row in policy_config_list()] == ["a-policy", "b-policy"]
    assert policy_config_get(name="a-policy") == a
    with pytest.raises(PolicyNotFound):
        policy_config_get(name="missing")
    assert policy_active_get() is None
    policy_config_activate(policy=a)
    assert policy_active_get() == a


def test_history_newest_first_and_kept_after_delete(saved: Any) -> None:
    row = saved("gone")
    policy_config_delete(policy=row)
    assert [e.action for e in policy_history_list(name="gone")] == ["deleted", "created"]
    assert len(policy_history_list(limit=1)) == 1


def test_current_default_then_file_then_database(policy_file: Any, saved: Any) -> None:
    assert (policy_current_get().name, policy_current_get().source) == ("noop", "default")
    policy_file("policy: all-caps\nname: shouty\n")
    current = policy_current_get()
    assert (current.name, current.policy_class, current.source) == ("shouty", "all-caps", "file")
    row = saved("rep", "string-replace", {"replacements": {"a": "b"}})
    policy_config_activate(policy=row, actor=Actor(label="me"))
    current = policy_current_get()
    assert (current.name, current.source, current.by, current.version) == (
        "rep",
        "database",
        "me",
        1,
    )
    assert current.since is not None and current.config == {"replacements": {"a": "b"}}


def test_class_list_describes_every_class() -> None:
    names = [cls["name"] for cls in policy_class_list()]
    assert {"noop", "all-caps", "string-replace"} <= set(names)
    caps = next(cls for cls in policy_class_list() if cls["name"] == "all-caps")
    assert caps["config_schema"]["type"] == "object" and caps["description"]


def test_first_transaction_under_a_policy_version() -> None:
    from activity.models import Transaction

    now = timezone.now()
    common = {"client_format": "openai", "model": "mock/echo", "status": "completed"}
    Transaction.objects.create(
        id="old",
        started_at=now - timedelta(minutes=5),
        policy_name="caps",
        policy_version=1,
        **common,
    )
    Transaction.objects.create(
        id="other",
        started_at=now + timedelta(seconds=1),
        policy_name="caps",
        policy_version=2,
        **common,
    )
    Transaction.objects.create(
        id="second",
        started_at=now + timedelta(seconds=3),
        policy_name="caps",
        policy_version=1,
        **common,
    )
    Transaction.objects.create(
        id="first",
        started_at=now + timedelta(seconds=2),
        policy_name="caps",
        policy_version=1,
        **common,
    )
    found = transaction_first_for_policy(policy_name="caps", version=1, after=now)
    assert found is not None and found["id"] == "first" and found["status"] == "completed"
    assert transaction_first_for_policy(policy_name="caps", version=3, after=now) is None
