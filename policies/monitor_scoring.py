"""How `monitor` scores one tool call: a judge model, the rule presets' category, or both.

`score_call` returns a `Score`: the value (0..1) and its parts (the judge's probability and
explanation, the category the presets found and what `category_scores` maps it to). With the
`max` scorer the value is the larger part, so a rule the judge misses and a risk the rules
cannot see both count. A judge failure raises `JudgeError` (the policy decides what then).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from policies.context import PolicyContext
from policies.engine.notices import pretty_arguments
from policies.judge_client import JudgeConfig, judge_ask, latest_user_text, template_render
from policies.rules.findings import Finding
from policies.rules.taxonomy import CATEGORIES, FAMILIES
from wire.neutral import ToolCallBlock

DEFAULT_CATEGORY_SCORES: dict[str, float] = {
    "data-destruction": 0.9,
    "exfiltration": 0.9,
    "remote-code-execution": 0.9,
    "security-weakening": 0.8,
    "system-availability": 0.8,
    "custom": 0.7,
    "uncertain": 0.4,
}
PRESETS = ("block-dangerous-commands", "block-sensitive-file-writes", "block-web-requests")


class ScoringOptions(Protocol):
    """What scoring reads from the monitor's config."""

    @property
    def scorer(self) -> str: ...

    @property
    def judge(self) -> JudgeConfig: ...

    @property
    def category_scores(self) -> dict[str, float]: ...


@dataclass(frozen=True, slots=True)
class Score:
    """A call's suspicion: `value` and the parts it came from (None: not asked)."""

    value: float
    reason: str
    judge: float | None = None
    category: str | None = None
    category_score: float | None = None

    def as_details(self) -> dict[str, Any]:
        """The score and its parts, for the `scored` decision."""
        return {
            "score": self.value,
            "judge_score": self.judge,
            "category": self.category,
            "category_score": self.category_score,
        }


def check_category_scores(value: dict[str, float]) -> dict[str, float]:
    """Validate a `category_scores` mapping: known categories or families, scores in 0..1."""
    known = set(CATEGORIES) | set(FAMILIES)
    unknown = sorted(name for name in value if name not in known)
    if unknown:
        raise ValueError(f"unknown categories: {', '.join(unknown)}")
    bad = sorted(name for name, score in value.items() if not 0.0 <= score <= 1.0)
    if bad:
        raise ValueError(f"scores must be between 0 and 1: {', '.join(bad)}")
    return value


def category_score(scores: dict[str, float], category: str) -> float:
    """The score of a category: its own entry, else its family's, else 0."""
    if category in scores:
        return scores[category]
    return scores.get(category.split("/", 1)[0], 0.0)


@cache
def _presets() -> tuple[Any, ...]:
    """The three rule presets with default settings (their `check` finds categories)."""
    from policies.registry import registry

    return tuple(registry().get(name)() for name in PRESETS)


def preset_finding(call: ToolCallBlock) -> Finding | None:
    """The first thing the three rule presets (default settings) find in `call`."""
    for preset in _presets():
        finding: Finding | None = preset.check(call)
        if finding is not None:
            return finding
    return None


async def score_call(options: ScoringOptions, call: ToolCallBlock, ctx: PolicyContext) -> Score:
    """Score `call` with the configured scorer (`JudgeError` when the judge fails)."""
    from policies.builtin.tool_judge import DEFAULT_INSTRUCTIONS, DEFAULT_MESSAGE_TEMPLATE

    category: str | None = None
    mapped: float | None = None
    reasons: list[str] = []
    if options.scorer in ("preset", "max"):
        finding = preset_finding(call)
        mapped = 0.0
        if finding is not None:
            category = finding.category
            mapped = category_score(options.category_scores, finding.category)
            reasons.append(finding.message)
    judged: float | None = None
    if options.scorer in ("judge", "max"):
        values = {
            "tool_name": call.name,
            "arguments": pretty_arguments(call),
            "user_request": latest_user_text(ctx.request) or "(no text)",
        }
        user = template_render(DEFAULT_MESSAGE_TEMPLATE, values)
        verdict = await judge_ask(options.judge, system=DEFAULT_INSTRUCTIONS, user=user)
        judged = verdict.probability
        if verdict.explanation:
            reasons.append(verdict.explanation)
    value = max(part for part in (judged, mapped) if part is not None)
    reason = "; ".join(reasons) or "nothing suspicious found"
    return Score(value, reason, judge=judged, category=category, category_score=mapped)
