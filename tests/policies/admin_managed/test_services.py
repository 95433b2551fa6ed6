"""Services: create, update, delete, activate, enable, import; history and the runtime switch."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from policies.models import PolicyConfig, PolicyConfigHistory
from policies.runtime import policy_runtime
from policies.services import (
    Actor,
    policy_config_activate,
    policy_config_create,
    policy_config_delete,
    policy_config_update,
    policy_enable,
    policy_file_import,
)
from policies.validation import PolicyConflict, PolicyValidationError

pytestmark = pytest.mark.django_db(transaction=True)

YAML = """
name: strict
policy: string-replace
description: from the file
config:
  replacements: {"hello": "bye"}
"""


def _actions(name: str) -> list[str]:
    return list(
        PolicyConfigHistory.objects.filter(policy_name=name)
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_create_validates_and_records_history() -> None:
    user = get_user_model().objects.create_user("ann", is_staff=True)
    row = policy_config_create(
        name="judge",
        policy_class="tool-judge",
        config={"threshold": 0.3},
        description="d",
        actor=Actor(user=user),
    )
    assert (row.version, row.is_active, row.created_by, row.config) == (
        1,
        False,
        user,
        {"threshold": 0.3},
    )
    entry = PolicyConfigHistory.objects.get(policy=row)
    assert (entry.action, entry.actor, entry.user, entry.new_class) == (
        "created",
        "ann",
        user,
        "tool-judge",
    )
    assert entry.new_config == {"threshold": 0.3} and entry.old_config is None


@pytest.mark.parametrize(
    ("kwargs", "loc"),
    [
        ({"policy_class": "tool-judge", "config": {"threshold": "high"}}, ["config", "threshold"]),
        ({"policy_class": "tool-judge", "config": {"nope": 1}}, ["config", "nope"]),
        ({"policy_class": "no-such-class", "config": {}}, ["policy_class"]),
        ({"policy_class": "all-caps", "config": [1]}, ["config"]),
        (
            {"policy_class": "string-replace", "config": {"replacements": [{"from": ""}]}},
            ["config", "replacements", "list[Replacement]", 0, "from"],
        ),
    ],
)
def test_validation_errors_carry_field_paths(kwargs: dict[str, Any], loc: list[Any]) -> None:
    with pytest.raises(PolicyValidationError) as caught:
        policy_config_create(name="p", **kwargs)
    assert loc in [list(error.loc) for error in caught.value.errors]
    assert not PolicyConfig.objects.exists()


@pytest.mark.parametrize("name", ["", "has space", "current", "-x", "x" * 101])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(PolicyValidationError) as caught:
        policy_config_create(name=name, policy_class="noop")
    assert caught.value.errors[0].loc == ("name",)


def test_duplicate_name_conflicts(saved: Any) -> None:
    saved("caps")
    with pytest.raises(PolicyConflict):
        saved("caps")


def test_update_bumps_version_and_keeps_old_config(saved: Any) -> None:
    row = saved("rep", "string-replace", {"replacements": {"a": "b"}})
    row = policy_config_update(policy=row, config={"replacements": {"a": "c"}})
    assert row.version == 2
    entry = PolicyConfigHistory.objects.filter(action="updated").get()
    assert entry.old_config == {"replacements": {"a": "b"}}
    assert entry.new_config == {"replacements": {"a": "c"}} and entry.version == 2
    unchanged = policy_config_update(policy=row, config={"replacements": {"a": "c"}})
    assert unchanged.version == 2 and _actions("rep") == ["created", "updated"]


def test_activate_switches_this_worker_and_deactivates_the_previous(saved: Any) -> None:
    first, second = saved("one"), saved("two", "noop")
    policy_config_activate(policy=first)
    assert policy_runtime().current().name == "one"
    policy_config_activate(policy=second, actor=Actor(label="tester"))
    first.refresh_from_db()
    second.refresh_from_db()
    assert not first.is_active and second.is_active
    assert second.activated_by == "tester" and second.activated_at is not None
    active = policy_runtime().current()
    assert (active.name, active.version, active.source) == ("two", 1, "database")
    assert _actions("one") == ["created", "activated", "deactivated"]
    assert _actions("two") == ["created", "activated"]


def test_database_allows_at_most_one_active_row(saved: Any) -> None:
    policy_config_activate(policy=saved("one"))
    saved("two")
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyConfig.objects.filter(name="two").update(is_active=True)


def test_failed_activation_changes_nothing(saved: Any) -> None:
    good = saved("good")
    policy_config_activate(policy=good)
    broken = saved("broken", "tool-judge")
    PolicyConfig.objects.filter(pk=broken.pk).update(config={"threshold": "nonsense"})
    broken.refresh_from_db()
    with pytest.raises(PolicyValidationError):
        policy_config_activate(policy=broken)
    assert PolicyConfig.objects.get(is_active=True).name == "good"
    assert policy_runtime().current().name == "good"
    assert "activated" not in _actions("broken")


def test_updating_the_active_row_is_enforced_at_once(saved: Any) -> None:
    row = saved("rep", "string-replace", {"replacements": {"a": "b"}})
    policy_config_activate(policy=row)
    policy_config_update(policy=row, config={"replacements": {"x": "y"}})
    active = policy_runtime().current()
    assert active.version == 2
    assert active.policy.config.model_dump()["replacements"] == {"x": "y"}


def test_delete_refuses_the_active_row_and_keeps_history(saved: Any) -> None:
    row = saved("caps")
    policy_config_activate(policy=row)
    with pytest.raises(PolicyConflict):
        policy_config_delete(policy=row)
    other = saved("other")
    policy_config_delete(policy=other)
    assert not PolicyConfig.objects.filter(name="other").exists()
    assert _actions("other") == ["created", "deleted"]
    assert PolicyConfigHistory.objects.filter(policy_name="other", policy=None).count() == 2


def test_enable_creates_updates_and_activates_in_one_call() -> None:
    row = policy_enable(policy_class="all-caps", config={})
    assert (row.name, row.is_active, row.version) == ("all-caps", True, 1)
    row = policy_enable(
        policy_class="string-replace", config={"replacements": {"a": "b"}}, name="all-caps"
    )
    assert (row.policy_class, row.version, row.is_active) == ("string-replace", 2, True)
    assert _actions("all-caps") == ["created", "activated", "updated"]
    assert policy_runtime().current().version == 2


def test_enable_with_invalid_config_changes_nothing() -> None:
    policy_enable(policy_class="all-caps")
    with pytest.raises(PolicyValidationError):
        policy_enable(policy_class="tool-judge", config={"threshold": 7})
    assert list(PolicyConfig.objects.values_list("name", "is_active")) == [("all-caps", True)]


def test_file_import_when_no_row_is_active(policy_file: Any) -> None:
    path = policy_file(YAML)
    row = policy_file_import()
    assert row is not None and row.is_active and row.name == "strict"
    assert row.description == "from the file"
    entry = PolicyConfigHistory.objects.get(policy=row)
    assert entry.action == "imported" and entry.actor == f"POLICY_CONFIG {path}"
    assert policy_runtime().current().source == "database"
    assert policy_file_import() is None  # a row is active now: nothing to do


def test_file_import_skipped_when_a_row_is_active(policy_file: Any, saved: Any) -> None:
    policy_config_activate(policy=saved("chosen"))
    policy_file(YAML)
    assert policy_file_import() is None
    assert PolicyConfig.objects.get(is_active=True).name == "chosen"


def test_file_import_updates_an_inactive_row_of_the_same_name(policy_file: Any, saved: Any) -> None:
    saved("strict", "noop")
    policy_file(YAML)
    row = policy_file_import()
    assert row is not None and (row.policy_class, row.version) == ("string-replace", 2)
    assert _actions("strict") == ["created", "imported"]


def test_stamp_bumped_in_redis_after_commit(redis_url: str, settings: Any, saved: Any) -> None:
    from policies.version_stamp import stamp_close, stamp_read

    settings.REDIS_URL = redis_url
    try:
        before = stamp_read()
        with transaction.atomic():
            policy_config_activate(policy=saved("caps"))
            assert stamp_read() == before  # not before the commit
        assert stamp_read() != before
    finally:
        stamp_close()
