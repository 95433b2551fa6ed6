"""The registry of policy classes: filled by `@register`, discovered at start-up.

Built-ins live one per module in `policies.builtin`; extra modules come from the
`LUTHIEN_POLICY_MODULES` setting. `discover()` runs in `PoliciesConfig.ready()`; system checks
(`policies.checks`) report classes that are broken.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, TypeVar

from django.conf import settings

from policies.base import Policy

P = TypeVar("P", bound=type[Policy])


class PolicyRegistry:
    """Policy classes by name."""

    def __init__(self) -> None:
        self._classes: dict[str, type[Policy]] = {}

    def add(self, cls: type[Policy]) -> None:
        """Register `cls` under `cls.name` (a second class with the same name is an error)."""
        existing = self._classes.get(cls.name)
        if existing is not None and existing is not cls:
            qualified = f"{existing.__module__}.{existing.__qualname__}"
            raise ValueError(f"policy name {cls.name!r} is already used by {qualified}")
        self._classes[cls.name] = cls

    def get(self, name: str) -> type[Policy]:
        """The class registered as `name`; KeyError if none."""
        return self._classes[name]

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._classes)

    def classes(self) -> list[type[Policy]]:
        """Registered classes, sorted by name."""
        return [self._classes[name] for name in self.names()]

    def describe(self, name: str) -> dict[str, Any]:
        """Name, description, config JSON schema and example config of one class."""
        cls = self.get(name)
        return {
            "name": cls.name,
            "description": cls.description,
            "config_schema": cls.Config.model_json_schema(),
            "example_config": cls.example_config,
            "streaming_mode": cls.streaming_mode.name,
        }


_registry = PolicyRegistry()


def registry() -> PolicyRegistry:
    """The process's policy registry."""
    return _registry


def register(cls: P) -> P:
    """Class decorator: make a policy available by its `name`."""
    _registry.add(cls)
    return cls


def discover() -> None:
    """Import every built-in policy module and the modules named in `LUTHIEN_POLICY_MODULES`."""
    import policies.builtin as builtin

    for module in pkgutil.iter_modules(builtin.__path__):
        importlib.import_module(f"policies.builtin.{module.name}")
    for name in settings.LUTHIEN_POLICY_MODULES:
        importlib.import_module(name)


def build_policy(name: str, config: dict[str, Any] | None, *, label: str | None = None) -> Policy:
    """Instantiate the class `name` with a validated config (raises KeyError/ValidationError)."""
    return _registry.get(name).from_config(config, label=label)
