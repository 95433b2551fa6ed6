"""`ActivePolicy`: a built policy instance and where it came from, and how one is built.

No I/O beyond reading the `POLICY_CONFIG` file: the runtime, the loaders and the services all
build their policies here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from policies.base import Policy
from policies.policy_file import PolicySpec, load_policy_file
from policies.registry import build_policy


@dataclass(frozen=True, slots=True)
class ActivePolicy:
    """A built policy instance and where it came from."""

    policy: Policy
    name: str
    version: int
    source: str  # database, file, default, override


def active_from_spec(spec: PolicySpec, *, version: int, source: str) -> ActivePolicy:
    """Build an `ActivePolicy` from a validated spec."""
    policy = build_policy(spec.policy_class, spec.config, label=spec.name)
    return ActivePolicy(policy=policy, name=spec.name, version=version, source=source)


def default_active_policy() -> ActivePolicy:
    """The policy when nothing is configured: `POLICY_CONFIG` if set, else pass-through."""
    if settings.POLICY_CONFIG:
        spec = load_policy_file(settings.POLICY_CONFIG)
        return active_from_spec(spec, version=0, source="file")
    return ActivePolicy(policy=build_policy("noop", {}), name="noop", version=0, source="default")
