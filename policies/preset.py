"""`RulePresetPolicy`: the shared shape of the rule presets, and what they do when unsure.

A preset holds tool calls until complete and asks its `check(call)` for a finding. A certain
finding becomes a `blocked` decision (rule, category, arguments) and the readable notice that
replaces the call. An *uncertain* finding (a command that does not parse, is too long or too
deeply nested, runs decoded code, deletes a path computed at run time, …) is handled as the
config's `uncertain` says:

- `block`: blocked like a certain finding (decision details carry `uncertain: true`);
- `allow`: the call passes, with an `allowed` decision saying why it was uncertain;
- `judge`: an `uncertain` decision, then the embedded `tool-judge` (`judge` in the config)
  decides and records its own decision; the preset and its judge are one policy.

The default is `judge` when a judge is configured, otherwise `block`. Allowed calls with no
finding are not reported (one decision per allowed call would drown the log). With
`on_finding: escalate`, a call the preset would block is held for a human instead (the approval
queue; `approval_timeout_s`, `approval_default`).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from policies.approvals.options import ApprovalOptions
from policies.base import Policy, PolicyConfigSchema, StreamingMode, ToolCallResult
from policies.builtin.tool_judge import ToolJudgePolicy
from policies.context import PolicyContext
from policies.engine.notices import blocked_tool_call_text
from policies.rules.findings import Finding
from wire.neutral import ToolCallBlock

UncertainAction = Literal["block", "allow", "judge"]


class PresetConfig(ApprovalOptions):
    """Config fields every rule preset shares: what to do with uncertain calls, and whether a
    finding blocks the call or asks a human."""

    on_finding: Literal["block", "escalate"] = Field(
        default="block",
        description="What a finding does to the call: `block` it, or `escalate` it to a human "
        "on /approvals/ (who approves, denies or edits it).",
    )

    uncertain: UncertainAction | None = Field(
        default=None,
        description="What to do with a call the rules cannot decide (unparseable, too long or "
        "deeply nested, decoded code, a delete target computed at run time): `block`, `allow`, "
        "or `judge` (ask the embedded `judge`). Default: `judge` when `judge` is set, "
        "otherwise `block`.",
    )
    judge: ToolJudgePolicy.Config | None = Field(
        default=None,
        description="A `tool-judge` config (same fields) for the LLM judge that decides "
        "uncertain calls; the preset and its judge are then one policy.",
    )

    @model_validator(mode="after")
    def _judge_needed(self) -> PresetConfig:
        if self.uncertain == "judge" and self.judge is None:
            raise ValueError("uncertain: judge needs a `judge` config")
        return self

    @property
    def uncertain_action(self) -> UncertainAction:
        """The effective action for uncertain calls (the default resolved)."""
        if self.uncertain is not None:
            return self.uncertain
        return "judge" if self.judge is not None else "block"


class RulePresetPolicy(Policy):
    """Base of the rule presets: subclasses implement `check` and use a `PresetConfig`."""

    streaming_mode: ClassVar[StreamingMode] = StreamingMode.HOLD_TOOL_CALLS

    def __init__(
        self, config: PolicyConfigSchema | None = None, *, label: str | None = None
    ) -> None:
        super().__init__(config, label=label)
        assert isinstance(self.config, PresetConfig)
        self.preset_options: PresetConfig = self.config
        judge = self.preset_options.judge
        self.judge = ToolJudgePolicy(judge, label=f"{self.label}/judge") if judge else None

    def check(self, call: ToolCallBlock) -> Finding | None:
        """The first reason to block `call` (certain findings first), or None to allow it."""
        raise NotImplementedError

    async def on_tool_call(self, call: ToolCallBlock, ctx: PolicyContext) -> ToolCallResult:
        """Return `call` unchanged when `check` finds nothing; block it on a certain finding;
        on an uncertain one, block, allow or ask the judge (see the module docstring)."""
        finding = self.check(call)
        if finding is None:
            return call
        details: dict[str, Any] = {
            "tool": call.name,
            "rule": finding.rule,
            "category": finding.category,
        }
        if not finding.uncertain:
            return self._block(call, ctx, finding, details)
        details["uncertain"] = True
        action = self.preset_options.uncertain_action
        if action == "allow":
            ctx.decide(self, "allowed", finding.message, **details)
            return call
        if action == "judge" and self.judge is not None:
            ctx.decide(self, "uncertain", finding.message, **details, sent_to="judge")
            return await self.judge.judge_call(call, ctx, note=finding.message)
        return self._block(call, ctx, finding, details)

    def _block(
        self, call: ToolCallBlock, ctx: PolicyContext, finding: Finding, details: dict[str, Any]
    ) -> ToolCallResult:
        if self.preset_options.on_finding == "escalate":
            return self.preset_options.escalation(call, finding.message)
        ctx.decide(self, "blocked", finding.message, **details, arguments=call.parsed_arguments())
        return blocked_tool_call_text(call, policy=self.label, reason=finding.message)
