"""`ApprovalOptions`: the config fields every escalating policy shares (its per-policy timeout
and what happens when nobody decides), and the `Escalation` they build."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from policies.base import Escalation, PolicyConfigSchema
from wire.neutral import ToolCallBlock


class ApprovalOptions(PolicyConfigSchema):
    """Mixed into the config of a policy that can escalate tool calls to a human."""

    approval_timeout_s: float | None = Field(
        default=None,
        gt=0,
        description="How long an escalated call waits for a human, in seconds. Default: "
        "`LUTHIEN_APPROVAL_TIMEOUT_S` (a non-streaming call also at most the upstream read "
        "timeout).",
    )
    approval_default: Literal["deny", "allow"] = Field(
        default="deny",
        description="What happens to an escalated call nobody decided in time: `deny` (the "
        "agent reads that nobody approved it) or `allow`.",
    )

    def escalation(self, call: ToolCallBlock, reason: str) -> Escalation:
        """Hold `call` for a human with these options."""
        return Escalation(
            call=call,
            reason=reason,
            timeout_s=self.approval_timeout_s,
            on_timeout=self.approval_default,
        )
