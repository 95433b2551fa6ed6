"""Reads of saved policies: lists, one by name, the active one, history, the current policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from policies.models import PolicyConfig, PolicyConfigHistory
from policies.policy_file import load_policy_file
from policies.registry import registry
from policies.validation import PolicyNotFound


@dataclass(frozen=True, slots=True)
class CurrentPolicy:
    """What the gateway enforces when no override is sent, and where that comes from."""

    name: str
    policy_class: str
    config: dict[str, Any]
    description: str
    version: int
    since: datetime | None
    by: str
    source: str  # database, file, default


def policy_config_list() -> QuerySet[PolicyConfig]:
    """Every saved policy, by name."""
    return PolicyConfig.objects.order_by("name")


def policy_config_get(*, name: str) -> PolicyConfig:
    """The saved policy `name`; PolicyNotFound if there is none."""
    row = PolicyConfig.objects.filter(name=name).first()
    if row is None:
        raise PolicyNotFound(f"no saved policy named {name!r}")
    return row


def policy_config_stored(*, name: str) -> dict[str, Any] | None:
    """The stored config of the saved policy `name` (secrets included: for writes only)."""
    return PolicyConfig.objects.filter(name=name).values_list("config", flat=True).first()


def policy_active_get() -> PolicyConfig | None:
    """The active saved policy, if any."""
    return PolicyConfig.objects.filter(is_active=True).first()


def policy_history_list(
    *, name: str | None = None, limit: int | None = None
) -> QuerySet[PolicyConfigHistory]:
    """History entries, newest first; of one policy name (deleted rows included) if given."""
    entries = PolicyConfigHistory.objects.select_related("user").order_by("-at", "-id")
    if name is not None:
        entries = entries.filter(policy_name=name)
    return entries[:limit] if limit else entries


def policy_history_exists(*, name: str) -> bool:
    """Whether `name` is saved or ever was."""
    return PolicyConfigHistory.objects.filter(policy_name=name).exists()


def policy_current_get() -> CurrentPolicy:
    """The active row; else the `POLICY_CONFIG` file (not imported yet); else pass-through."""
    row = policy_active_get()
    if row is not None:
        return CurrentPolicy(
            name=row.name,
            policy_class=row.policy_class,
            config=row.config,
            description=row.description,
            version=row.version,
            since=row.activated_at,
            by=row.activated_by,
            source="database",
        )
    if settings.POLICY_CONFIG:
        spec = load_policy_file(settings.POLICY_CONFIG)
        return CurrentPolicy(
            name=spec.name,
            policy_class=spec.policy_class,
            config=spec.config,
            description=spec.description,
            version=0,
            since=None,
            by=f"POLICY_CONFIG {settings.POLICY_CONFIG}",
            source="file",
        )
    return CurrentPolicy(
        name="noop",
        policy_class="noop",
        config={},
        description=registry().get("noop").description,
        version=0,
        since=None,
        by="",
        source="default",
    )


def policy_class_list() -> list[dict[str, Any]]:
    """Every registered class: name, description, config schema, example config."""
    return [registry().describe(name) for name in registry().names()]
