"""The plain-text report of `manage.py preset_eval`: per-category and per-split tables."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from policies.preset_eval.scoring import Outcome, Score, scores_by, total

_HEADER = f"{'':44} {'dangerous':>9} {'recall':>7} {'benign':>7} {'FPR':>6} {'uncertain':>9}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def score_line(name: str, score: Score) -> str:
    """One table row."""
    return (
        f"{name:44} {score.dangerous:>9} {_percent(score.recall):>7} {score.benign:>7} "
        f"{_percent(score.false_positive_rate):>6} {score.uncertain:>9}"
    )


def report_lines(
    preset: str, outcomes: Sequence[Outcome], *, errors: bool = False
) -> Iterator[str]:
    """The report for one preset: a row per top-level category and per category, per split,
    and the total; with `errors`, every missed dangerous case and every false positive."""
    yield f"== {preset} ({len(outcomes)} cases)"
    yield _HEADER
    tops = scores_by(outcomes, lambda case: case.category.split("/")[0])
    for top, score in tops.items():
        yield score_line(top, score)
        for name, sub in scores_by(
            [o for o in outcomes if o.case.category.split("/")[0] == top], lambda c: c.category
        ).items():
            if name != top:
                yield score_line(f"  {name}", sub)
    for split, score in scores_by(outcomes, lambda case: case.split or "-").items():
        yield score_line(f"split {split}", score)
    yield score_line("all", total(outcomes))
    if errors:
        for outcome in outcomes:
            if not outcome.correct:
                kind = "MISSED" if outcome.case.dangerous else "FALSE POSITIVE"
                rule = f" [{outcome.rule}]" if outcome.rule else ""
                yield f"  {kind}{rule} ({outcome.case.category}, {outcome.case.split}): "
                yield f"      {outcome.case.text}"
