"""Writes to saved policies. Admin, the admin API, the policy page and commands call these.

    policy_config_create     a new saved policy (validated)
    policy_config_update     new class / config / description; version + 1
    policy_config_delete     remove an inactive saved policy
    policy_config_activate   make one row the active policy, atomically
    policy_enable            validate, create or update, activate: one call
    policy_file_import       the `POLICY_CONFIG` file into the database when no row is active

A config may send `••••` back in a secret's place to keep the stored secret
(`policies.config_secrets`). Every write appends history (secrets masked) and, once committed,
switches this worker at once and bumps the shared version stamp so the other workers follow
within `LUTHIEN_POLICY_POLL_INTERVAL_S`. Validation happens before any write: a failed call
changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from policies.active import ActivePolicy, active_from_spec
from policies.config_secrets import config_mask
from policies.loading import active_from_row
from policies.models import PolicyConfig, PolicyConfigHistory
from policies.policy_file import PolicySpec, load_policy_file
from policies.runtime import policy_runtime
from policies.selectors import policy_config_stored
from policies.validation import PolicyConflict, PolicyNotFound, policy_spec_validate
from policies.version_stamp import stamp_bump

Action = PolicyConfigHistory.Action


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change: a Django user, or a label ("admin API key", "manage.py", …)."""

    user: Any = None
    label: str = ""

    @property
    def display(self) -> str:
        """The name shown in history and on the policy page."""
        if self.user is not None:
            return str(self.user.get_username())
        return self.label or "system"


def policy_config_create(
    *,
    name: str,
    policy_class: str,
    config: dict[str, Any] | None = None,
    description: str = "",
    actor: Actor | None = None,
) -> PolicyConfig:
    """Save a new policy (inactive). Raises PolicyValidationError or PolicyConflict."""
    actor = actor or Actor()
    spec = policy_spec_validate(
        name=name, policy_class=policy_class, config=config, description=description
    )
    active_from_spec(spec, version=1, source="database")  # it must build, not only validate
    with transaction.atomic():
        row = _insert(spec, actor)
        _history(row, Action.CREATED, actor, old=None)
        _publish_on_commit(None)
    return row


def policy_config_update(
    *,
    policy: PolicyConfig,
    policy_class: str | None = None,
    config: dict[str, Any] | None = None,
    description: str | None = None,
    actor: Actor | None = None,
) -> PolicyConfig:
    """Change a saved policy; `None` keeps a field. The version goes up when anything changed;
    an active row is enforced in its new form at once."""
    actor = actor or Actor()
    with transaction.atomic():
        row = _locked(policy.pk)  # the stored content, whatever a form did to `policy`
        spec = policy_spec_validate(
            name=row.name,
            policy_class=row.policy_class if policy_class is None else policy_class,
            config=row.config if config is None else config,
            description=row.description if description is None else description,
            stored_config=row.config,
        )
        old = (row.policy_class, row.config)
        if (spec.policy_class, spec.config, spec.description) == (*old, row.description):
            return row
        _write_content(row, spec, actor)
        active = active_from_row(row) if row.is_active else None
        _history(row, Action.UPDATED, actor, old=old)
        _publish_on_commit(active)
    return row


def policy_config_delete(*, policy: PolicyConfig, actor: Actor | None = None) -> None:
    """Delete an inactive saved policy (the active one cannot be deleted: activate another)."""
    actor = actor or Actor()
    with transaction.atomic():
        row = _locked(policy.pk)
        if row.is_active:
            raise PolicyConflict(
                f"policy {row.name!r} is active; activate another policy before deleting it"
            )
        _history(row, Action.DELETED, actor, old=(row.policy_class, row.config), new=False)
        row.delete()
        _publish_on_commit(None)


def policy_config_activate(*, policy: PolicyConfig, actor: Actor | None = None) -> PolicyConfig:
    """Make `policy` the active policy: the previous one is deactivated in the same
    transaction, and this worker switches as soon as it commits."""
    actor = actor or Actor()
    with transaction.atomic():
        rows = _lock_all()
        row = _pick(rows, policy.pk)
        active = active_from_row(row)  # raises before anything is written
        if not row.is_active:
            _make_active(rows, row, actor, history=True)
        _publish_on_commit(active)
    return row


def policy_enable(
    *,
    policy_class: str,
    config: dict[str, Any] | None = None,
    name: str | None = None,
    description: str | None = None,
    actor: Actor | None = None,
) -> PolicyConfig:
    """Validate, create or update the saved policy `name` (default: the class name), and
    activate it, all in one transaction."""
    name = name or policy_class
    policy_spec_validate(
        name=name,
        policy_class=policy_class,
        config=config,
        description=description or "",
        stored_config=policy_config_stored(name=name),
    )
    with transaction.atomic():
        row = PolicyConfig.objects.filter(name=name).first()
        if row is None:
            row = policy_config_create(
                name=name,
                policy_class=policy_class,
                config=config,
                description=description or "",
                actor=actor,
            )
        else:
            row = policy_config_update(
                policy=row,
                policy_class=policy_class,
                config=config if config is not None else {},
                description=description,
                actor=actor,
            )
        return policy_config_activate(policy=row, actor=actor)


def policy_file_import(*, path: str | None = None) -> PolicyConfig | None:
    """Import the `POLICY_CONFIG` file as the active row when no row is active (start-up).

    Returns the imported row, or None when there is no file or a row is already active.
    Raises PolicyFileError / PolicyValidationError for an invalid file."""
    path = path or settings.POLICY_CONFIG
    if not path or PolicyConfig.objects.filter(is_active=True).exists():
        return None
    loaded = load_policy_file(path)
    spec = policy_spec_validate(
        name=loaded.name,
        policy_class=loaded.policy_class,
        config=loaded.config,
        description=loaded.description,
    )
    actor = Actor(label=f"POLICY_CONFIG {path}"[:150])
    try:
        with transaction.atomic():
            rows = _lock_all()
            if any(row.is_active for row in rows):
                return None  # another worker imported it first
            row = next((r for r in rows if r.name == spec.name), None)
            old = (row.policy_class, row.config) if row is not None else None
            if row is None:
                row = _insert(spec, actor)
            elif (row.policy_class, row.config, row.description) != (
                spec.policy_class,
                spec.config,
                spec.description,
            ):
                _write_content(row, spec, actor)
            active = active_from_row(row)
            _make_active(rows, row, actor, history=False)
            _history(row, Action.IMPORTED, actor, old=old)
            _publish_on_commit(active)
    except (IntegrityError, PolicyConflict):  # a concurrent import won the race
        return None
    return row


# --- internals ----------------------------------------------------------------------------------


def _locked(pk: Any) -> PolicyConfig:
    try:
        return PolicyConfig.objects.select_for_update().get(pk=pk)
    except PolicyConfig.DoesNotExist as error:
        raise PolicyNotFound("the policy was deleted") from error


def _lock_all() -> list[PolicyConfig]:
    """Every row, locked in a fixed order: activations are serialized."""
    return list(PolicyConfig.objects.select_for_update().order_by("pk"))


def _pick(rows: list[PolicyConfig], pk: Any) -> PolicyConfig:
    for row in rows:
        if row.pk == pk:
            return row
    raise PolicyNotFound("the policy was deleted")


def _insert(spec: PolicySpec, actor: Actor) -> PolicyConfig:
    try:
        with transaction.atomic():
            return PolicyConfig.objects.create(
                name=spec.name,
                policy_class=spec.policy_class,
                config=spec.config,
                description=spec.description,
                created_by=actor.user,
                updated_by=actor.user,
            )
    except IntegrityError as error:
        raise PolicyConflict(f"a policy named {spec.name!r} already exists") from error


def _write_content(row: PolicyConfig, spec: PolicySpec, actor: Actor) -> None:
    row.policy_class, row.config, row.description = spec.policy_class, spec.config, spec.description
    row.version += 1
    row.updated_by = actor.user
    row.save()


def _make_active(
    rows: list[PolicyConfig], row: PolicyConfig, actor: Actor, *, history: bool
) -> None:
    """Deactivate the others, then activate `row` (this order keeps the constraint happy)."""
    for other in rows:
        if other.is_active and other.pk != row.pk:
            other.is_active = False
            other.save(update_fields=["is_active"])
            _history(other, Action.DEACTIVATED, actor, old=None, new=False)
    row.is_active = True
    row.activated_at = timezone.now()
    row.activated_by = actor.display[:150]
    row.save(update_fields=["is_active", "activated_at", "activated_by"])
    if history:
        _history(row, Action.ACTIVATED, actor, old=None)


def _history(
    row: PolicyConfig,
    action: str,
    actor: Actor,
    *,
    old: tuple[str, Any] | None,
    new: bool = True,
) -> None:
    """Append a history entry; `old` is (class, config) before the change, `new` whether the
    row's current content is the "after" of this change. Configs are kept with their secrets
    masked: history never holds a second copy of a key."""
    PolicyConfigHistory.objects.create(
        policy=row,
        policy_name=row.name,
        action=action,
        version=row.version,
        user=actor.user,
        actor=actor.display[:150],
        old_class=old[0] if old else "",
        old_config=config_mask(*old) if old else None,
        new_class=row.policy_class if new else "",
        new_config=config_mask(row.policy_class, row.config) if new else None,
    )


def _publish_on_commit(active: ActivePolicy | None) -> None:
    """After commit: switch this worker (when the active policy changed), forget cached saved
    policies, and bump the shared stamp for the other workers."""

    def publish() -> None:
        runtime = policy_runtime()
        if active is not None:
            runtime.set(active)
        runtime.forget_saved()
        stamp_bump()

    transaction.on_commit(publish)
