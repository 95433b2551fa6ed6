"""The policy admin API, mounted at `/api/admin/` (OpenAPI docs at `/api/admin/docs`).

Thin endpoints over `policies.services` and `policies.selectors`. Errors: validation → 422 with
field paths (`{"detail": [{"loc": ["config", "threshold"], "msg": …}]}`), unknown name → 404,
a conflicting change → 409; a failed call changes nothing. Auth: see `policies.api_auth`.
Secrets in configs are write-only: every response shows them as `••••`, and a write that sends
`••••` back keeps the stored secret (`policies.config_secrets`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import HttpError, ValidationError

from policies import selectors, services
from policies.api_auth import admin_auth
from policies.config_secrets import config_mask
from policies.models import PolicyConfig, PolicyConfigHistory
from policies.schemas import (
    CurrentOut,
    EnableIn,
    ErrorOut,
    HistoryOut,
    PolicyClassOut,
    PolicyIn,
    PolicyOut,
    PolicyPatch,
    ValidationErrorOut,
)
from policies.validation import PolicyConflict, PolicyNotFound, PolicyValidationError

router = Router(auth=admin_auth, tags=["policies"])

WRITE_RESPONSES: dict[int, Any] = {404: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut}


@contextmanager
def _service_errors() -> Iterator[None]:
    """Service exceptions as HTTP errors."""
    try:
        yield
    except PolicyValidationError as error:
        raise ValidationError([item.as_dict() for item in error.errors]) from error
    except PolicyNotFound as error:
        raise HttpError(404, str(error)) from error
    except PolicyConflict as error:
        raise HttpError(409, str(error)) from error


def _get(name: str) -> PolicyConfig:
    with _service_errors():
        return selectors.policy_config_get(name=name)


def _out(row: PolicyConfig) -> dict[str, Any]:
    data = {field: getattr(row, field) for field in PolicyOut.model_fields}
    data["config"] = config_mask(row.policy_class, row.config)
    data["created_by"] = row.created_by.get_username() if row.created_by else None
    data["updated_by"] = row.updated_by.get_username() if row.updated_by else None
    return data


def _history_out(entry: PolicyConfigHistory) -> dict[str, Any]:
    data = {field: getattr(entry, field) for field in HistoryOut.model_fields}
    data["old_config"] = config_mask(entry.old_class, entry.old_config)
    data["new_config"] = config_mask(entry.new_class, entry.new_config)
    return data


@router.get("/policy-classes", response=list[PolicyClassOut], summary="Discovered policy classes")
def list_policy_classes(request: HttpRequest) -> list[dict[str, Any]]:
    """Every registered class: name, description, config JSON schema, example config."""
    return selectors.policy_class_list()


@router.get("/policies", response=list[PolicyOut], summary="Saved policies")
def list_policies(request: HttpRequest) -> list[dict[str, Any]]:
    """Every saved policy, by name; `is_active` marks the one in force."""
    return [
        _out(row)
        for row in selectors.policy_config_list().select_related("created_by", "updated_by")
    ]


@router.post("/policies", response={201: PolicyOut, **WRITE_RESPONSES}, summary="Create")
def create_policy(request: HttpRequest, payload: PolicyIn) -> Status[dict[str, Any]]:
    """Save a new (inactive) policy; activate it with `POST /policies/{name}/activate`."""
    with _service_errors():
        row = services.policy_config_create(
            name=payload.name,
            policy_class=payload.policy_class,
            config=payload.config,
            description=payload.description,
            actor=request.auth,  # type: ignore[attr-defined]
        )
    return Status(201, _out(row))


@router.get("/policies/current", response=CurrentOut, summary="The policy in force")
def current_policy(request: HttpRequest) -> Any:
    """The active config (secrets masked), its version, since when, by whom, and its source."""
    current = selectors.policy_current_get()
    return replace(current, config=config_mask(current.policy_class, current.config))


@router.get("/policies/{name}", response={200: PolicyOut, 404: ErrorOut}, summary="One policy")
def get_policy(request: HttpRequest, name: str) -> dict[str, Any]:
    """One saved policy."""
    return _out(_get(name))


@router.patch("/policies/{name}", response={200: PolicyOut, **WRITE_RESPONSES}, summary="Change")
def update_policy(request: HttpRequest, name: str, payload: PolicyPatch) -> dict[str, Any]:
    """Change class, config or description; the version goes up. An active policy is in
    force in its new form on every worker within a second."""
    row = _get(name)
    with _service_errors():
        row = services.policy_config_update(
            policy=row,
            policy_class=payload.policy_class,
            config=payload.config,
            description=payload.description,
            actor=request.auth,  # type: ignore[attr-defined]
        )
    return _out(row)


@router.delete("/policies/{name}", response={204: None, **WRITE_RESPONSES}, summary="Delete")
def delete_policy(request: HttpRequest, name: str) -> Status[None]:
    """Delete an inactive policy (409 for the active one). Its history is kept."""
    row = _get(name)
    with _service_errors():
        services.policy_config_delete(policy=row, actor=request.auth)  # type: ignore[attr-defined]
    return Status(204, None)


@router.post(
    "/policies/{name}/activate", response={200: PolicyOut, **WRITE_RESPONSES}, summary="Activate"
)
def activate_policy(request: HttpRequest, name: str) -> dict[str, Any]:
    """Make this policy the active one, on every worker within a second."""
    row = _get(name)
    with _service_errors():
        row = services.policy_config_activate(
            policy=row,
            actor=request.auth,  # type: ignore[attr-defined]
        )
    return _out(row)


@router.get(
    "/policies/{name}/history", response={200: list[HistoryOut], 404: ErrorOut}, summary="History"
)
def policy_history(request: HttpRequest, name: str, limit: int = 100) -> list[dict[str, Any]]:
    """Changes and activations of this policy name, newest first (also after deletion)."""
    if not selectors.policy_history_exists(name=name):
        _get(name)
    entries = selectors.policy_history_list(name=name, limit=max(1, min(limit, 1000)))
    return [_history_out(entry) for entry in entries]


@router.post("/policy/enable", response={200: PolicyOut, **WRITE_RESPONSES}, summary="Enable")
def enable_policy(request: HttpRequest, payload: EnableIn) -> dict[str, Any]:
    """Validate, create or update the policy `name` (default: the class name) and activate it,
    in one transaction."""
    with _service_errors():
        row = services.policy_enable(
            policy_class=payload.policy_class,
            config=payload.config,
            name=payload.name,
            description=payload.description,
            actor=request.auth,  # type: ignore[attr-defined]
        )
    return _out(row)
