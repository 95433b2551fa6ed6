"""What trajectory rules (`taint`, `strikes`, `rate`) do with a call they stop.

    block      the call becomes the usual "Luthien blocked a tool call" text (`blocked`)
    escalate   a human should approve the call: the decision is `escalate`; until the
               approval queue honours it, the call is withheld like a block, with a text
               saying it needs approval (so nothing unapproved runs)

The `strikes` rule also has `lock` (a block whose text says the session is locked).
"""

from __future__ import annotations

from typing import Any, Literal

from policies.base import Policy
from policies.context import PolicyContext
from policies.engine.notices import blocked_tool_call_text, pretty_arguments
from wire.neutral import Block, TextBlock, ToolCallBlock

StopAction = Literal["block", "escalate"]


def needs_approval_text(call: ToolCallBlock, *, policy: str, reason: str) -> TextBlock:
    """The text that replaces a call escalated while no approval queue can hold it."""
    return TextBlock(
        text=(
            f'⏸ Luthien withheld a tool call: it needs a person\'s approval (policy "{policy}").\n'
            f"Tool: {call.name}\n"
            f"Reason: {reason}\n"
            f"Arguments:\n{pretty_arguments(call)}\n"
        )
    )


def stop_call(
    policy: Policy,
    call: ToolCallBlock,
    ctx: PolicyContext,
    *,
    action: StopAction,
    reason: str,
    **details: Any,
) -> Block:
    """Record the decision and return the text that replaces `call`."""
    arguments = call.parsed_arguments()
    if action == "escalate":
        ctx.decide(policy, "escalate", reason, tool=call.name, arguments=arguments, **details)
        return needs_approval_text(call, policy=policy.label, reason=reason)
    ctx.decide(policy, "blocked", reason, tool=call.name, arguments=arguments, **details)
    return blocked_tool_call_text(call, policy=policy.label, reason=reason)
