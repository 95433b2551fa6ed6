"""Request and response schemas of the policy admin API (they document the OpenAPI spec)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class PolicyClassOut(Schema):
    """A discovered policy class."""

    name: str
    description: str
    config_schema: dict[str, Any]
    example_config: dict[str, Any]
    streaming_mode: str


class PolicyIn(Schema):
    """A new saved policy."""

    name: str = Field(description="Letters, digits, '.', '_', '-'; used in X-Luthien-Policy.")
    policy_class: str = Field(description="A name from GET /policy-classes.")
    config: Any = Field(default=None, description="Validated against the class's schema.")
    description: str = ""


class PolicyPatch(Schema):
    """Fields to change; omitted fields keep their value."""

    policy_class: str | None = None
    config: Any = None
    description: str | None = None


class EnableIn(Schema):
    """Validate, create or update, and activate in one call."""

    policy_class: str
    config: Any = Field(default=None, description="Validated against the class's schema.")
    name: str | None = Field(default=None, description="Defaults to the class name.")
    description: str | None = None


class PolicyOut(Schema):
    """A saved policy."""

    name: str
    policy_class: str
    config: dict[str, Any]
    description: str
    is_active: bool
    version: int
    activated_at: datetime | None
    activated_by: str
    created_at: datetime
    updated_at: datetime
    created_by: str | None
    updated_by: str | None


class CurrentOut(Schema):
    """What the gateway enforces (without an override) and where it comes from."""

    name: str
    policy_class: str
    config: dict[str, Any]
    description: str
    version: int
    since: datetime | None
    by: str
    source: str = Field(description="database, file (POLICY_CONFIG, not imported) or default")


class HistoryOut(Schema):
    """One change or activation."""

    at: datetime
    policy_name: str
    action: str
    version: int
    actor: str
    old_class: str
    new_class: str
    old_config: dict[str, Any] | None
    new_config: dict[str, Any] | None


class ErrorOut(Schema):
    """An error message."""

    detail: str


class FieldErrorOut(Schema):
    """Where validation failed (`loc`, e.g. ["config", "threshold"]) and why."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(Schema):
    """Validation failed: every problem with its field path."""

    detail: list[FieldErrorOut]
