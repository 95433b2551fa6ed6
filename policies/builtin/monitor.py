"""`monitor`: trusted monitoring with an audit budget, deferral to a trusted model, trusted editing.

Every complete tool call gets a suspicion score from 0 to 1 (`policies.monitor_scoring`: a judge
model, the rule presets' threat category mapped to a score, or the larger of the two). Then:

    score > audit threshold, or ≥ ceiling   → the approval queue (a human decides; when nobody
                                              does in time, `approval_default` or, with
                                              `defer_on_timeout`, the trusted action)
    score > defer_threshold (if set)        → with `resample_k`, k more answers of the client's
                                              model: the least suspicious is released if under
                                              `defer_threshold`, else a human decides; without,
                                              the trusted action: `defer` (the trusted model
                                              answers the same request instead) or `edit` (it
                                              rewrites the call's arguments; the edit is re-scored)
    otherwise                               → released unchanged

The audit threshold comes from the audit budget: the score above which `audit_budget` of the
recent scores lie (a rolling window shared by every worker, `policies.monitor_window`), kept
between `threshold_floor` and `threshold_ceiling`. Every call records a `scored` decision with the
score, its parts and the thresholds in force; deferrals record `deferred` (both answers),
edits `edited` (both argument sets and the new score), resampling `resampled` (every sample with
its score, and which one was released).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from policies.base import Escalation, Policy, PolicyConfigSchema, StreamingMode, ToolCallResult
from policies.context import PolicyContext
from policies.engine.notices import blocked_tool_call_text
from policies.judge_client import JudgeError, judge_failed_tool_call_text, latest_user_text
from policies.monitor_config import MonitorConfig
from policies.monitor_scoring import Score, score_call
from policies.monitor_window import ScoreWindow, Threshold, threshold_in_force
from policies.registry import register
from policies.trusted import trusted_answer, trusted_edit, untrusted_sample
from wire.neutral import Block, TextBlock, ToolCallBlock


@dataclass
class _Deferral:
    """One request's deferral: the trusted answer (asked once) and the blocks still to append."""

    answer: asyncio.Future[list[Block]] | None = None
    appended: list[Block] = field(default_factory=list)


@register
class MonitorPolicy(Policy):
    """Scores every tool call; audits the most suspicious share, defers or edits the next."""

    name = "monitor"
    description = (
        "Score every tool call (judge and/or rule categories); send the most suspicious share "
        "(the audit budget) to a human, and defer or edit the next band with a trusted model."
    )
    streaming_mode: ClassVar[StreamingMode] = StreamingMode.HOLD_TOOL_CALLS
    example_config: ClassVar[dict[str, Any]] = {
        "scorer": "max",
        "judge": {"model": "mock/judge", "timeout_s": 15},
        "audit_budget": 0.02,
        "threshold_floor": 0.5,
        "threshold_ceiling": 0.9,
        "min_samples": 100,
        "defer_threshold": 0.3,
        "trusted_action": "defer",
        "trusted_model": "mock/trusted",
        "approval_timeout_s": 300,
        "approval_default": "deny",
    }

    Config: ClassVar[type[PolicyConfigSchema]] = MonitorConfig

    def __init__(
        self, config: PolicyConfigSchema | None = None, *, label: str | None = None
    ) -> None:
        super().__init__(config, label=label)
        assert isinstance(self.config, MonitorConfig)
        self.options: MonitorConfig = self.config
        self.trusted = self.options.trusted_config()
        # One window per instance: shared by this worker's requests, re-read from the database.
        self.window = ScoreWindow(self.label, self.options.window, self.options.refresh_s)

    @property
    def timeout_slots(self) -> int:
        """A call may take a judge, the trusted model or resamples, and a judge again."""
        return 3 if self.options.defer_threshold is not None else 1

    async def on_tool_call(self, call: ToolCallBlock, ctx: PolicyContext) -> ToolCallResult:
        """Score `call`, then escalate, resample, defer, edit or release it (module docstring)."""
        try:
            score = await score_call(self.options, call, ctx)
        except JudgeError as error:
            return self._judge_failed(call, ctx, error)
        audit = threshold_in_force(
            await self.window.current(),
            self.options.audit_budget,
            floor=self.options.threshold_floor,
            ceiling=self.options.threshold_ceiling,
            min_samples=self.options.min_samples,
        )
        await self.window.add(score.value)
        outcome = self._outcome(score.value, audit)
        details = {
            "tool": call.name,
            **score.as_details(),
            **audit.as_details("audit"),
            "defer_threshold": self.options.defer_threshold,
            "outcome": outcome,
        }
        ctx.decide(self, "scored", score.reason, **details)
        if outcome == "escalate":
            return self._escalation(call, ctx, score, audit)
        if outcome == "allow":
            return call
        if outcome == "resample":
            return await self._resample(call, ctx, score)
        return await self._trusted_step(call, ctx, score.reason)

    def _outcome(self, value: float, audit: Threshold) -> str:
        if value > audit.value or value >= self.options.threshold_ceiling:
            return "escalate"
        defer = self.options.defer_threshold
        if defer is not None and value > defer:
            return "resample" if self.options.resample_k else self.options.trusted_action
        return "allow"

    def _escalation(
        self, call: ToolCallBlock, ctx: PolicyContext, score: Score, audit: Threshold
    ) -> Escalation:
        if score.value > audit.value:
            why = f"suspicion {score.value:.2f} above the audit threshold {audit.value:.2f}"
        else:
            ceiling = self.options.threshold_ceiling
            why = f"suspicion {score.value:.2f} at or above the ceiling {ceiling:.2f}"
        escalation = self.options.escalation(call, f"{score.reason} ({why})")
        if self.options.defer_on_timeout:

            async def fallback(held: ToolCallBlock) -> Block:
                result = await self._trusted_step(held, ctx, score.reason, rescore=False)
                if isinstance(result, (TextBlock, ToolCallBlock)):
                    return result
                return TextBlock(text="")

            escalation.fallback = fallback
        return escalation

    async def _trusted_step(
        self, call: ToolCallBlock, ctx: PolicyContext, reason: str, *, rescore: bool = True
    ) -> ToolCallResult:
        """Defer to or edit with the trusted model; fail closed when it cannot be used."""
        try:
            if self.options.trusted_action == "edit":
                return await self._edit(call, ctx, reason, rescore=rescore)
            return await self._defer(call, ctx)
        except JudgeError as error:
            ctx.decide(self, "error", error.reason, tool=call.name, kind=error.kind, trusted=True)
            if self.options.fail_open:
                return call
            why = f"the trusted model that should replace it failed: {error.reason}"
            return blocked_tool_call_text(call, policy=self.label, reason=why)

    async def _edit(
        self, call: ToolCallBlock, ctx: PolicyContext, reason: str, *, rescore: bool
    ) -> ToolCallResult:
        user_request = latest_user_text(ctx.request)
        edited = await trusted_edit(self.trusted, call, reason, user_request)
        details: dict[str, Any] = {
            "tool": call.name,
            "before": call.parsed_arguments(),
            "after": edited.parsed_arguments(),
            "trusted_model": self.options.trusted_model,
        }
        if rescore:
            try:
                new = await score_call(self.options, edited, ctx)
            except JudgeError as error:
                return self._judge_failed(edited, ctx, error)
            details["edited_score"] = new.value
            audit = self.window_threshold_now()
            if new.value > audit or new.value >= self.options.threshold_ceiling:
                ctx.decide(self, "edited", "the edit is still suspicious", **details)
                return self.options.escalation(
                    edited, f"{new.reason} (after the trusted edit: {new.value:.2f})"
                )
        ctx.decide(self, "edited", f"the trusted model rewrote the arguments ({reason})", **details)
        return edited

    def window_threshold_now(self) -> float:
        """The audit threshold over this worker's current copy of the window."""
        return threshold_in_force(
            list(self.window.scores),
            self.options.audit_budget,
            floor=self.options.threshold_floor,
            ceiling=self.options.threshold_ceiling,
            min_samples=self.options.min_samples,
        ).value

    async def _defer(self, call: ToolCallBlock, ctx: PolicyContext) -> Block | None:
        """The first deferral of a response asks the trusted model the client's request: its
        first block replaces the call, the others end the response; later deferred calls of the
        same response are dropped (the trusted answer already stands for the step)."""
        untrusted = {"tool": call.name, "arguments": call.parsed_arguments()}
        blocks = await self._step_once(ctx, lambda: trusted_answer(self.trusted, ctx.request))
        if blocks is None:
            reason = "the trusted model already answered this step"
            ctx.decide(self, "deferred", reason, tool=call.name, untrusted=untrusted)
            return None
        ctx.decide(
            self,
            "deferred",
            "the trusted model answered this step instead",
            tool=call.name,
            trusted_model=self.options.trusted_model,
            untrusted=untrusted,
            trusted=[_shown(block) for block in blocks],
        )
        return self._take_step(ctx, blocks)

    async def _step_once(
        self, ctx: PolicyContext, produce: Callable[[], Awaitable[list[Block]]]
    ) -> list[Block] | None:
        """`produce` the replacement of this response's step, once per response: None when
        another call of the response already did (after waiting for it; its error re-raised)."""
        state = ctx.state_for(self, _Deferral)
        if state.answer is not None:
            earlier: list[Block] = await asyncio.shield(state.answer)
            if earlier:
                return None  # (an empty earlier result replaced nothing: this call tries afresh)
        state.answer = asyncio.get_running_loop().create_future()
        try:
            blocks = await produce()
        except JudgeError as error:
            state.answer.set_exception(error)
            state.answer.exception()  # retrieved: later callers re-raise it
            raise
        except BaseException:
            state.answer.cancel()
            raise
        state.answer.set_result(blocks)
        return blocks

    def _take_step(self, ctx: PolicyContext, blocks: list[Block]) -> Block:
        """The replacement's first block takes the call's place; the rest end the response."""
        ctx.state_for(self, _Deferral).appended = blocks[1:]
        return blocks[0]

    async def _resample(
        self, call: ToolCallBlock, ctx: PolicyContext, score: Score
    ) -> ToolCallResult:
        """Draw `resample_k` more answers of the client's model; release the least suspicious
        if it is under `defer_threshold`, else hold the original call for a human."""
        untrusted = {"tool": call.name, "arguments": call.parsed_arguments()}
        drawn: list[tuple[float, list[Block]]] = []

        async def produce() -> list[Block]:
            drawn.extend(await self._samples(ctx))
            limit = self.options.defer_threshold
            best = min(drawn, key=lambda sample: sample[0], default=None)
            if best is None or limit is None or best[0] > limit:
                return []
            return best[1]

        try:
            blocks = await self._step_once(ctx, produce)
        except JudgeError as error:
            return self._judge_failed(call, ctx, error)
        shown = [{"score": value, "answer": [_shown(b) for b in sample]} for value, sample in drawn]
        if blocks is None:
            reason = "an earlier resample already stands for this step"
            ctx.decide(self, "resampled", reason, tool=call.name, untrusted=untrusted)
            return None
        if not blocks:
            why = f"all {len(drawn)} resamples were suspicious too"
            ctx.decide(
                self,
                "resampled",
                why,
                tool=call.name,
                untrusted=untrusted,
                samples=shown,
                chosen=None,
            )
            return self.options.escalation(call, f"{score.reason} ({why})")
        chosen = next(i for i, (_, sample) in enumerate(drawn) if sample is blocks)
        reason = f"released the least suspicious of {len(drawn)} resamples"
        ctx.decide(
            self,
            "resampled",
            reason,
            tool=call.name,
            untrusted=untrusted,
            samples=shown,
            chosen=chosen,
        )
        return self._take_step(ctx, blocks)

    async def _samples(self, ctx: PolicyContext) -> list[tuple[float, list[Block]]]:
        """The resamples and their scores (the highest of their calls' scores; 0 with no call).
        Samples that fail are left out; `JudgeError` when every one failed."""
        timeout = self.options.trusted_timeout_s
        drawn = await asyncio.gather(
            *(
                untrusted_sample(ctx.request, timeout_s=timeout)
                for _ in range(self.options.resample_k)
            ),
            return_exceptions=True,
        )
        scored: list[tuple[float, list[Block]]] = []
        errors: list[JudgeError] = []
        for sample in drawn:
            if isinstance(sample, JudgeError):
                errors.append(sample)
                continue
            if isinstance(sample, BaseException):
                raise sample
            calls = [b for b in sample if isinstance(b, ToolCallBlock)]
            try:
                scores = await asyncio.gather(*(score_call(self.options, c, ctx) for c in calls))
            except JudgeError as error:
                errors.append(error)
                continue
            scored.append((max((x.value for x in scores), default=0.0), sample))
        if not scored:
            raise errors[0]
        return scored

    async def on_response_end(self, ctx: PolicyContext) -> list[Block]:
        """The trusted answer's blocks after its first (when a call was deferred)."""
        state = ctx.state_for(self, _Deferral)
        appended, state.appended = state.appended, []
        return appended

    def _judge_failed(
        self, call: ToolCallBlock, ctx: PolicyContext, error: JudgeError
    ) -> ToolCallResult:
        fail_open = self.options.fail_open
        ctx.decide(
            self, "error", error.reason, tool=call.name, kind=error.kind, fail_open=fail_open
        )
        if fail_open:
            return call
        return judge_failed_tool_call_text(call, policy=self.label, reason=error.reason)


def _shown(block: Block) -> dict[str, Any]:
    """A trusted block as recorded in the `deferred` decision."""
    if isinstance(block, ToolCallBlock):
        return {"tool": block.name, "arguments": block.parsed_arguments()}
    if isinstance(block, TextBlock):
        return {"text": block.text}
    return {"kind": block.kind}
