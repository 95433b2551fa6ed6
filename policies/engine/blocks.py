"""Held blocks: run one complete block through the policy, and turn blocks back into events.

A tool call the policy escalates waits here for a human (`policies.approvals.gate`), outside the
hook timeout: the escalating hook returned at once, the wait has its own timeout.
"""

from __future__ import annotations

from policies.base import Escalation, Policy
from policies.context import PolicyContext
from policies.engine.guard import HookFailed, guarded
from policies.engine.notices import policy_failure_text
from wire.neutral import (
    Block,
    BlockStart,
    BlockStop,
    Event,
    OpaqueBlock,
    TextBlock,
    TextDelta,
    ToolArgsDelta,
    ToolCallBlock,
    ToolResultBlock,
)


async def run_held_block(policy: Policy, ctx: PolicyContext, block: Block) -> list[Block]:
    """The blocks that replace `block` after the policy saw it (empty when dropped)."""
    try:
        result: Block | Escalation | None
        if isinstance(block, ToolCallBlock):
            result = await guarded(
                policy,
                ctx,
                policy.process_tool_call(block, ctx),
                what="a tool call",
                original=block,  # type: ignore[arg-type]
            )
        elif isinstance(block, TextBlock):
            result = await guarded(
                policy,
                ctx,
                policy.process_text_block(block, ctx),
                what="a text block",
                original=block,
            )
        else:
            result = block
    except HookFailed as failed:
        what = "a tool call" if isinstance(block, ToolCallBlock) else "a text block"
        return [policy_failure_text(policy=policy.label, what=what, error=failed.error)]
    if isinstance(result, Escalation):
        from policies.approvals.gate import hold_for_approval  # the queue needs the ORM

        return [await hold_for_approval(policy, ctx, result)]
    return [] if result is None else [result]


def block_events(index: int, block: Block) -> list[Event]:
    """A complete block as the event sequence a stream would carry, at output `index`."""
    if isinstance(block, TextBlock):
        events: list[Event] = [BlockStart(index, TextBlock(text="", extra=block.extra))]
        if block.text:
            events.append(TextDelta(index, block.text))
    elif isinstance(block, ToolCallBlock):
        start = ToolCallBlock(id=block.id, name=block.name, arguments="", extra=block.extra)
        events = [BlockStart(index, start)]
        if block.arguments:
            events.append(ToolArgsDelta(index, block.arguments))
    elif isinstance(block, OpaqueBlock):
        events = [BlockStart(index, block)]
    else:
        assert isinstance(block, ToolResultBlock)
        events = [BlockStart(index, TextBlock(text=block.text()))]
    events.append(BlockStop(index))
    return events
