"""The active policy of this process, read without I/O on the request path.

Precedence, highest first: a per-request override (`X-Luthien-Policy`, for keys allowed to use
it), the active database row, the `POLICY_CONFIG` file, the pass-through policy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings

from policies.base import Policy
from policies.policy_file import PolicySpec, load_policy_file
from policies.registry import build_policy

logger = logging.getLogger("policies.runtime")


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


class PolicyRuntime:
    """Holds the active policy; `current()` is a plain attribute read."""

    def __init__(self) -> None:
        self._active: ActivePolicy | None = None

    def current(self) -> ActivePolicy:
        """The policy new requests use."""
        active = self._active
        if active is None:
            active = self._active = default_active_policy()
        return active

    def set(self, active: ActivePolicy) -> None:
        """Switch this process to `active` (in-flight requests keep their old instance)."""
        self._active = active

    def reset(self) -> None:
        """Forget the active policy (tests)."""
        self._active = None


_runtime = PolicyRuntime()


def policy_runtime() -> PolicyRuntime:
    """The process's policy runtime."""
    return _runtime


async def resolve_policy(override: str | None) -> ActivePolicy:
    """The policy for one request: the override (already authorized) or the active one."""
    if override:
        from policies.overrides import policy_by_name

        return await policy_by_name(override)
    return _runtime.current()
