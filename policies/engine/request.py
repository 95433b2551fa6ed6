"""The request stage: run `on_request` and turn failures into a refusal the client can read."""

from __future__ import annotations

from policies.base import Policy, Refusal
from policies.context import PolicyContext
from policies.engine.guard import HookFailed, guarded
from policies.engine.notices import policy_failure_text
from wire.neutral import Request


class PolicyRefusedRequest(Exception):
    """The request must not go upstream; `message` is the reply, `status` what is recorded."""

    def __init__(self, message: str, *, status: str) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


async def apply_request(policy: Policy, request: Request, ctx: PolicyContext) -> Request:
    """The request as the policy wants it sent; raises `PolicyRefusedRequest` otherwise."""
    try:
        result = await guarded(
            policy, ctx, policy.on_request(request, ctx), what="the request", original=request
        )
    except HookFailed as failed:
        notice = policy_failure_text(policy=policy.label, what="this request", error=failed.error)
        raise PolicyRefusedRequest(notice.text, status="policy_error") from failed
    if isinstance(result, Refusal):
        raise PolicyRefusedRequest(result.message, status="blocked")
    ctx.request = result
    return result
