"""The `POLICY_CONFIG` YAML file: one policy class, its config and a name.

name: strict-judge            # optional; defaults to the class name
policy: tool-judge            # a registered policy class
description: Judge every tool call
config:                       # validated against the class's Config schema
  threshold: 0.5
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from policies.registry import registry


class PolicyFileError(Exception):
    """The file is missing, not YAML, or does not validate."""


@dataclass(frozen=True, slots=True)
class PolicySpec:
    """A validated policy definition: class name, config, display name, description."""

    name: str
    policy_class: str
    config: dict[str, Any] = field(default_factory=dict)
    description: str = ""


def parse_policy_spec(data: Any, *, where: str = "policy file") -> PolicySpec:
    """Validate a mapping like the YAML file's; raises PolicyFileError with a clear message."""
    if not isinstance(data, dict):
        raise PolicyFileError(f"{where}: expected a mapping with a `policy` key")
    unknown = set(data) - {"name", "policy", "description", "config"}
    if unknown:
        raise PolicyFileError(f"{where}: unknown keys {sorted(unknown)}")
    class_name = data.get("policy")
    if class_name not in registry().names():
        raise PolicyFileError(
            f"{where}: unknown policy class {class_name!r}; known: {', '.join(registry().names())}"
        )
    config = data.get("config") or {}
    try:
        validated = registry().get(class_name).Config.model_validate(config)
    except ValidationError as error:
        raise PolicyFileError(
            f"{where}: invalid config for {class_name}: {validation_summary(error)}"
        ) from error
    return PolicySpec(
        name=str(data.get("name") or class_name),
        policy_class=class_name,
        config=validated.model_dump(mode="json"),
        description=str(data.get("description") or ""),
    )


def validation_summary(error: ValidationError) -> str:
    """Each problem as `path: message`, without the input values (they may hold secrets)."""
    return "; ".join(
        f"{'.'.join(map(str, item['loc'])) or 'config'}: {item['msg']}"
        for item in error.errors(include_url=False, include_input=False)
    )


def load_policy_file(path: str | Path) -> PolicySpec:
    """Read and validate a policy YAML file."""
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise PolicyFileError(f"cannot read POLICY_CONFIG {path}: {error}") from error
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PolicyFileError(f"POLICY_CONFIG {path} is not valid YAML: {error}") from error
    return parse_policy_spec(data, where=f"POLICY_CONFIG {path}")
