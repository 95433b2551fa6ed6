"""Build runtime policies from saved rows (used by the runtime, the reloader and overrides)."""

from __future__ import annotations

from policies.active import ActivePolicy, active_from_spec, default_active_policy
from policies.models import PolicyConfig
from policies.validation import PolicyNotFound, policy_spec_validate


def active_from_row(row: PolicyConfig, *, source: str = "database") -> ActivePolicy:
    """Validate a saved row again (the code may have changed) and build its policy.

    Raises `PolicyValidationError` when the row no longer validates."""
    spec = policy_spec_validate(
        name=row.name,
        policy_class=row.policy_class,
        config=row.config,
        description=row.description,
    )
    return active_from_spec(spec, version=row.version, source=source)


def database_active_policy() -> ActivePolicy | None:
    """The active row built, or None when no row is active."""
    row = PolicyConfig.objects.filter(is_active=True).first()
    return active_from_row(row) if row is not None else None


def active_policy_load() -> ActivePolicy:
    """What every worker should enforce now: the active row, else the file, else noop."""
    return database_active_policy() or default_active_policy()


def saved_policy_load(name: str) -> ActivePolicy:
    """The saved policy `name` built for a per-request override; PolicyNotFound if absent."""
    row = PolicyConfig.objects.filter(name=name).first()
    if row is None:
        raise PolicyNotFound(f"no saved policy named {name!r}")
    return active_from_row(row, source="override")
