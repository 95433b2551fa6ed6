"""The config of `monitor`: how calls are scored, the audit budget and its window, and what the
band below the audit threshold gets (resampling, or the trusted model's deferral or edit)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from policies.approvals.options import ApprovalOptions
from policies.judge_client import JudgeConfig
from policies.monitor_scoring import DEFAULT_CATEGORY_SCORES, check_category_scores

Scorer = Literal["judge", "preset", "max"]
TrustedAction = Literal["defer", "edit"]


class MonitorConfig(ApprovalOptions):
    """The typed config of `monitor` (see `docs/policies.md`)."""

    scorer: Scorer = Field(
        default="max",
        description="How a call is scored: `judge` (the judge model's probability), "
        "`preset` (the rule presets' threat category, mapped by `category_scores`) or "
        "`max` (the larger of the two).",
    )
    judge: JudgeConfig = Field(
        default_factory=JudgeConfig,
        description="The judge model, as in `tool-judge` (`model`, `timeout_s`, "
        "`base_url`, …); its `threshold` is not used (the monitor's thresholds are).",
    )
    category_scores: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_CATEGORY_SCORES),
        description="Score of a call the rule presets find something in, by threat "
        "category (`family/category`) or family; a category not listed (nor its family) "
        "scores 0, as does a call they find nothing in.",
    )
    audit_budget: float = Field(
        default=0.02,
        gt=0.0,
        lt=1.0,
        description="Share of tool calls humans review: calls scoring above the "
        "(1 − budget) quantile of recent scores are escalated.",
    )
    window: int = Field(
        default=1000,
        ge=10,
        le=100_000,
        description="How many recent scores (of all workers) the quantile is taken over.",
    )
    min_samples: int = Field(
        default=100,
        ge=1,
        description="Until this many scores are known the audit threshold is `threshold_ceiling`.",
    )
    threshold_floor: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="The audit threshold is never below this (quiet traffic does not "
        "send harmless calls to humans).",
    )
    threshold_ceiling: float = Field(
        default=0.9,
        ge=0.0,
        le=1.0,
        description="The audit threshold is never above this (a call scoring at or "
        "above it is always escalated, whatever the budget).",
    )
    refresh_s: float = Field(
        default=5.0,
        gt=0.0,
        le=3600.0,
        description="Each worker re-reads the shared score window at most this often.",
    )
    defer_threshold: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="If set, a call scoring above this (and not above the audit "
        "threshold) gets the `trusted_action` instead of passing.",
    )
    trusted_action: TrustedAction = Field(
        default="defer",
        description="`defer`: the trusted model answers the client's request instead of "
        "the suspicious call; `edit`: it rewrites only the call's arguments.",
    )
    trusted_model: str = Field(
        default="mock/trusted",
        min_length=1,
        description="The trusted model: one the gateway routes (`openai/gpt-4o-mini`, "
        "`anthropic/claude-haiku-4-5`, `mock/trusted`).",
    )
    trusted_timeout_s: float = Field(
        default=30.0,
        gt=0.0,
        le=600.0,
        description="Seconds to wait for the trusted model's whole answer.",
    )
    resample_k: int = Field(
        default=0,
        ge=0,
        le=8,
        description="If above 0, a call above `defer_threshold` (not audited) is first "
        "resampled: this many more answers of the client's own model to the same request "
        "are drawn concurrently and scored; the least suspicious is released if it scores "
        "at most `defer_threshold`, else the call goes to a human.",
    )
    defer_on_timeout: bool = Field(
        default=False,
        description="When nobody decides an escalated call in time (or the queue is "
        "down), apply `trusted_action` instead of `approval_default`.",
    )

    @field_validator("category_scores")
    @classmethod
    def _categories(cls, value: dict[str, float]) -> dict[str, float]:
        return check_category_scores(value)

    @model_validator(mode="after")
    def _consistent(self) -> MonitorConfig:
        if self.min_samples > self.window:
            raise ValueError("min_samples must not be above window")
        if self.threshold_floor > self.threshold_ceiling:
            raise ValueError("threshold_floor must not be above threshold_ceiling")
        if self.defer_threshold is not None and self.defer_threshold >= self.threshold_ceiling:
            raise ValueError("defer_threshold must be below threshold_ceiling")
        try:
            self.trusted_config()
        except ValidationError as error:
            # the judge's hint about `base_url` does not apply: the trusted model is routed
            messages = (str(e["msg"]).split("; or set base_url")[0] for e in error.errors())
            message = "; ".join(m.removeprefix("Value error, ") for m in messages)
            raise ValueError(f"trusted_model: {message}") from None
        return self

    def trusted_config(self) -> JudgeConfig:
        """The trusted model as a routed model config (how it is called)."""
        return JudgeConfig(
            model=self.trusted_model, timeout_s=self.trusted_timeout_s, max_tokens=2048
        )
