"""Per-request policy override by saved name (`X-Luthien-Policy`).

The pipeline has already checked that the key may override. Saved policies are cached per
process in the runtime (keyed by name, holding the version) and forgotten whenever the shared
version stamp changes, so steady-state overrides do no query.
"""

from __future__ import annotations

import logging

from policies.runtime import ActivePolicy, policy_runtime, run_db_once
from policies.validation import PolicyNotFound, PolicyValidationError
from wire.errors import NotFound, PolicyFailed

logger = logging.getLogger("policies.overrides")


async def policy_by_name(name: str) -> ActivePolicy:
    """The saved policy called `name`; NotFound if there is none."""
    runtime = policy_runtime()
    cached = runtime.saved(name)
    if cached is not None:
        return cached
    generation = runtime.generation
    from policies.loading import saved_policy_load

    try:
        active = await run_db_once(lambda: saved_policy_load(name))
    except PolicyNotFound as error:
        raise NotFound(str(error), param="X-Luthien-Policy") from error
    except PolicyValidationError as error:
        logger.error("saved policy %r no longer validates: %s", name, error)
        raise PolicyFailed(f"saved policy {name!r} is invalid: {error}") from error
    runtime.remember(active, generation=generation)
    return active
