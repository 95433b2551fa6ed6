"""Services: assign a saved policy to an API key or a key group, and put keys in groups.

Every write tells the policies app (`policies.assignments.policy_assignments_changed`), which
makes every worker drop its cached key checks (they hold the assigned policy's name) within the
reloader's poll interval; this worker's cache is cleared after commit.
"""

from __future__ import annotations

from django.db import transaction

from gateway.keys import key_cache_clear
from gateway.models import ApiKey, ApiKeyGroup
from policies.assignments import policy_assignments_changed
from policies.models import PolicyConfig


def _changed() -> None:
    policy_assignments_changed()
    transaction.on_commit(key_cache_clear)


def api_key_policy_assign(*, key: ApiKey, policy: PolicyConfig | None) -> ApiKey:
    """Make `key` run `policy` (None: its group's policy, else the active one)."""
    with transaction.atomic():
        key.policy = policy
        key.save(update_fields=["policy"])
        _changed()
    return key


def api_key_group_set(*, key: ApiKey, group: ApiKeyGroup | None) -> ApiKey:
    """Put `key` in `group` (None: no group)."""
    with transaction.atomic():
        key.group = group
        key.save(update_fields=["group"])
        _changed()
    return key


def api_key_group_policy_assign(*, group: ApiKeyGroup, policy: PolicyConfig | None) -> ApiKeyGroup:
    """Make the keys of `group` run `policy` unless a key has its own (None: the active one)."""
    with transaction.atomic():
        group.policy = policy
        group.save(update_fields=["policy"])
        _changed()
    return group


def api_key_group_save(*, group: ApiKeyGroup) -> ApiKeyGroup:
    """Create or update a group row (its assignment included)."""
    with transaction.atomic():
        group.save()
        _changed()
    return group
