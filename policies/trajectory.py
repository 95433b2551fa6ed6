"""What trajectory rules (`taint`, `strikes`, `rate`) do with a call they stop.

    block      the call becomes the usual "Luthien blocked a tool call" text (`blocked`)
    escalate   the call is held in the approval queue (`policies.approvals`) until a person
               approves, denies or edits it; the timeout's default is deny, so nothing
               unapproved runs (the gate records `escalated` and the outcome)

The `strikes` rule also has `lock` (a block whose text says the session is locked).
"""

from __future__ import annotations

from typing import Any, Literal

from policies.base import Escalation, Policy, ToolCallResult
from policies.context import PolicyContext
from policies.engine.notices import blocked_tool_call_text
from wire.neutral import ToolCallBlock

StopAction = Literal["block", "escalate"]


def stop_call(
    policy: Policy,
    call: ToolCallBlock,
    ctx: PolicyContext,
    *,
    action: StopAction,
    reason: str,
    **details: Any,
) -> ToolCallResult:
    """Hold `call` for a person (`escalate`), or record the block and return the text that
    replaces it."""
    arguments = call.parsed_arguments()
    if action == "escalate":
        return Escalation(call, reason)
    ctx.decide(policy, "blocked", reason, tool=call.name, arguments=arguments, **details)
    return blocked_tool_call_text(call, policy=policy.label, reason=reason)
