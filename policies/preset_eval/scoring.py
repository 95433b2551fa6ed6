"""Run a rule preset over corpus cases and count, by any grouping, recall and false positives.

A case is *flagged* when the preset would not let it through unchanged with its config: a
finding blocks it, or the preset marks it uncertain (which the default config blocks when no
judge is configured). Uncertain verdicts are counted separately so they stay visible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from policies.preset import RulePresetPolicy
from policies.preset_eval.corpus import Case


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the preset made of one case."""

    case: Case
    flagged: bool
    uncertain: bool
    rule: str

    @property
    def correct(self) -> bool:
        """Dangerous and flagged, or benign and let through."""
        return self.flagged == self.case.dangerous


@dataclass(slots=True)
class Score:
    """Counts for one group of cases."""

    dangerous: int = 0
    caught: int = 0
    benign: int = 0
    false_positives: int = 0
    uncertain: int = 0

    def add(self, outcome: Outcome) -> None:
        """Count one outcome."""
        if outcome.case.dangerous:
            self.dangerous += 1
            self.caught += outcome.flagged
        else:
            self.benign += 1
            self.false_positives += outcome.flagged
        self.uncertain += outcome.uncertain

    @property
    def recall(self) -> float | None:
        """Caught / dangerous (None without dangerous cases)."""
        return self.caught / self.dangerous if self.dangerous else None

    @property
    def false_positive_rate(self) -> float | None:
        """Flagged benign / benign (None without benign cases)."""
        return self.false_positives / self.benign if self.benign else None


def preset_evaluate(policy: RulePresetPolicy, cases: Iterable[Case]) -> list[Outcome]:
    """The preset's verdict on every case (its `check`, as `on_tool_call` would apply it)."""
    outcomes: list[Outcome] = []
    for case in cases:
        finding = policy.check(case.tool_call())
        uncertain = bool(finding is not None and finding.uncertain)
        outcomes.append(
            Outcome(case, finding is not None, uncertain, finding.rule if finding else "")
        )
    return outcomes


def scores_by(outcomes: Iterable[Outcome], key: Callable[[Case], str]) -> dict[str, Score]:
    """Scores per value of `key(case)`, in sorted key order."""
    scores: dict[str, Score] = {}
    for outcome in outcomes:
        scores.setdefault(key(outcome.case), Score()).add(outcome)
    return dict(sorted(scores.items()))


def total(outcomes: Iterable[Outcome]) -> Score:
    """One score over all outcomes."""
    score = Score()
    for outcome in outcomes:
        score.add(outcome)
    return score
