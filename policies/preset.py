"""`RulePresetPolicy`: the shared shape of the rule presets that need no LLM.

A preset holds tool calls until complete and asks its `check(call)` for a finding; a finding
becomes a `blocked` decision (rule id, arguments) and the readable notice that replaces the
call. Allowed calls are not reported (one decision per allowed call would drown the log).
"""

from __future__ import annotations

from typing import ClassVar

from gateway.neutral import Block, ToolCallBlock
from policies.base import Policy, StreamingMode
from policies.context import PolicyContext
from policies.engine.notices import blocked_tool_call_text
from policies.rules.findings import Finding


class RulePresetPolicy(Policy):
    """Base of the rule presets: subclasses implement `check`."""

    streaming_mode: ClassVar[StreamingMode] = StreamingMode.HOLD_TOOL_CALLS

    def check(self, call: ToolCallBlock) -> Finding | None:
        """The first reason to block `call`, or None to allow it."""
        raise NotImplementedError

    async def on_tool_call(self, call: ToolCallBlock, ctx: PolicyContext) -> Block | None:
        """Return `call` unchanged when `check` finds nothing; otherwise report a `blocked`
        decision (rule id, arguments) and return the notice that replaces the call."""
        finding = self.check(call)
        if finding is None:
            return call
        ctx.decide(
            self,
            "blocked",
            finding.message,
            tool=call.name,
            rule=finding.rule,
            arguments=call.parsed_arguments(),
        )
        return blocked_tool_call_text(call, policy=self.label, reason=finding.message)
