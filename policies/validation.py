"""Validation of saved policies, and the errors the policy services raise.

    PolicyManagementError
    ├── PolicyValidationError   422  the name, class or config is invalid (carries field paths)
    ├── PolicyNotFound          404  no saved policy has that name
    └── PolicyConflict          409  the change is not allowed in the current state

Config validation is the same as for the `POLICY_CONFIG` file (`parse_policy_spec`): one schema
per class, so admin forms, the admin API, the page and the YAML file all agree. Secrets are
write-only (`policies.config_secrets`): a config that sends `••••` back in a secret's place keeps
the stored secret (`stored_config`), and one that has none stored there is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from pydantic import ValidationError

from policies.config_secrets import MASK, MaskedSecretMissing, config_keep_secrets
from policies.policy_file import PolicyFileError, PolicySpec, parse_policy_spec
from policies.registry import registry

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
RESERVED_NAMES = frozenset({"current"})  # `/api/admin/policies/current` is a route


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem: where (`("config", "threshold")`), what, and pydantic's error type."""

    loc: tuple[str | int, ...]
    msg: str
    type: str = "value_error"

    @property
    def path(self) -> str:
        """The location as a dotted path, e.g. `config.replacements.0.from`."""
        return ".".join(str(part) for part in self.loc)

    def as_dict(self) -> dict[str, Any]:
        """JSON form, shaped like pydantic's and Ninja's validation errors."""
        return {"loc": list(self.loc), "msg": self.msg, "type": self.type}


class PolicyManagementError(Exception):
    """Base of the errors raised by the policy services and selectors."""


class PolicyValidationError(PolicyManagementError):
    """Invalid input; `errors` says where and why."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.path or 'policy'}: {e.msg}" for e in errors))


class PolicyNotFound(PolicyManagementError):
    """No saved policy with that name."""


class PolicyConflict(PolicyManagementError):
    """The change is not allowed now (e.g. the name is taken, or the row is active)."""


def name_errors(name: Any) -> list[FieldError]:
    """Problems with a policy name (empty list when it is fine)."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        return [
            FieldError(
                ("name",),
                "use 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit",
            )
        ]
    if name in RESERVED_NAMES:
        return [FieldError(("name",), f"{name!r} is reserved")]
    return []


def policy_spec_validate(
    *,
    name: str,
    policy_class: str,
    config: Any,
    description: str = "",
    stored_config: Any = None,
) -> PolicySpec:
    """Validate a policy definition; returns a spec holding the config as given, with every
    `••••` in a secret's place replaced by the secret `stored_config` holds there.

    Raises `PolicyValidationError` with paths like `("config", "threshold")`.
    """
    errors = name_errors(name)
    if policy_class not in registry().names():
        known = ", ".join(registry().names())
        errors.append(FieldError(("policy_class",), f"unknown policy class; known: {known}"))
    if config is not None and not isinstance(config, dict):
        errors.append(FieldError(("config",), "must be a JSON object", "dict_type"))
    if errors:
        raise PolicyValidationError(errors)
    try:
        config = config_keep_secrets(policy_class, config, stored_config)
    except MaskedSecretMissing as error:
        raise PolicyValidationError(
            [
                FieldError(
                    ("config", *path),
                    f"{MASK} stands for a stored secret, but none is stored here: enter the "
                    "secret itself",
                )
                for path in error.paths
            ]
        ) from None
    data = {"name": name, "policy": policy_class, "config": config or {}}
    try:
        spec = parse_policy_spec(data, where=f"policy {name!r}")
    except PolicyFileError as error:
        cause = error.__cause__
        if isinstance(cause, ValidationError):
            raise PolicyValidationError(
                [
                    FieldError(("config", *item["loc"]), item["msg"], item["type"])
                    for item in cause.errors()
                ]
            ) from error
        raise PolicyValidationError([FieldError((), str(error))]) from error
    return replace(spec, config=dict(config or {}), description=description or "")
