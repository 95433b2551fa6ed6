"""Which policy one request runs: the override by saved name (`X-Luthien-Policy`), else the
active one.

The pipeline has already checked that the key may override. Saved policies are cached per
process in the runtime (keyed by name, holding the version) and forgotten whenever the shared
version stamp changes, so steady-state overrides do no query.
"""

from __future__ import annotations

import logging

from policies.active import ActivePolicy
from policies.loading import saved_policy_load
from policies.runtime import policy_runtime, run_db_once
from policies.validation import PolicyNotFound, PolicyValidationError
from wire.errors import NotFound, PolicyFailed

logger = logging.getLogger("policies.selection")


async def policy_by_name(name: str) -> ActivePolicy:
    """The saved policy called `name`; NotFound if there is none."""
    runtime = policy_runtime()
    cached = runtime.saved(name)
    if cached is not None:
        return cached
    generation = runtime.generation
    try:
        active = await run_db_once(lambda: saved_policy_load(name))
    except PolicyNotFound as error:
        raise NotFound(str(error), param="X-Luthien-Policy") from error
    except PolicyValidationError as error:
        logger.error("saved policy %r no longer validates: %s", name, error)
        raise PolicyFailed(f"saved policy {name!r} is invalid: {error}") from error
    runtime.remember(active, generation=generation)
    return active


async def resolve_policy(override: str | None) -> ActivePolicy:
    """The policy for one request: the override (already authorized) or the active one."""
    if override:
        return await policy_by_name(override)
    runtime = policy_runtime()
    active = runtime.loaded()
    if active is None:  # first request of a process without lifespan (tests)
        active = await run_db_once(runtime.current)
    return active
