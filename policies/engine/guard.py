"""Run a policy hook under the timeout and turn failures into fail-closed or fail-open results."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

from django.conf import settings

from policies.base import Policy
from policies.context import PolicyContext

T = TypeVar("T")
logger = logging.getLogger("policies.engine")


class HookFailed(Exception):
    """A hook raised or timed out and the policy fails closed."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def hook_timeout(policy: Policy | None = None) -> float:
    """The timeout of one hook call in seconds (a chain gets one slot per member)."""
    slots = policy.timeout_slots if policy is not None else 1
    return float(settings.LUTHIEN_POLICY_TIMEOUT_S) * max(slots, 1)


def report_failure(policy: Policy, ctx: PolicyContext, what: str, error: BaseException) -> None:
    """Log and record a hook failure as an `error` decision."""
    kind = "timeout" if isinstance(error, TimeoutError) else type(error).__name__
    logger.warning("policy %s failed on %s: %s", policy.label, what, kind, exc_info=error)
    ctx.decide(
        policy,
        "error",
        f"{what}: {kind}",
        error=str(error)[:500],
        fail_open=policy.fail_open,
    )


async def guarded(
    policy: Policy, ctx: PolicyContext, hook: Awaitable[T], *, what: str, original: T
) -> T:
    """Await `hook` under the timeout. On failure: `original` if fail-open, else `HookFailed`."""
    try:
        async with asyncio.timeout(hook_timeout(policy)):
            return await hook
    except (asyncio.CancelledError, HookFailed):
        raise  # HookFailed: a chain member failed closed and was already reported
    except Exception as error:
        report_failure(policy, ctx, what, error)
        if policy.fail_open:
            return original
        raise HookFailed(error) from error
