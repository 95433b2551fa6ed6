"""Per-request policy override by saved name (`X-Luthien-Policy`)."""

from __future__ import annotations

from gateway.errors import NotFound
from policies.runtime import ActivePolicy


async def policy_by_name(name: str) -> ActivePolicy:
    """The saved policy called `name`; NotFound if there is none."""
    raise NotFound(f"no saved policy named {name!r}", param="X-Luthien-Policy")
