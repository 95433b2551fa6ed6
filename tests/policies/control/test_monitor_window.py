"""The audit threshold of `monitor`: the budget's quantile, its clamps, and the shared window."""

from __future__ import annotations

import random

import pytest

from policies.models import MonitorScore
from policies.monitor_window import ScoreWindow, quantile_threshold, threshold_in_force


def above(scores: list[float], threshold: float) -> int:
    return sum(1 for score in scores if score > threshold)


def test_two_percent_of_a_hundred_scores_lie_above_the_threshold() -> None:
    scores = [i / 100 for i in range(100)]
    random.Random(1).shuffle(scores)
    assert quantile_threshold(scores, 0.02) == 0.97
    assert above(scores, 0.97) == 2


@pytest.mark.parametrize("seed", range(20))
def test_the_quantile_keeps_within_the_budget_and_is_the_lowest_that_does(seed: int) -> None:
    rng = random.Random(seed)
    scores = [round(rng.random(), 1) for _ in range(rng.randint(1, 300))]  # many ties
    budget = rng.choice([0.01, 0.02, 0.05, 0.1, 0.3])
    threshold = quantile_threshold(scores, budget)
    assert threshold is not None and threshold in scores
    assert above(scores, threshold) <= budget * len(scores)
    lower = [s for s in scores if s < threshold]
    if lower:  # any lower score would audit more than the budget
        assert above(scores, max(lower)) > budget * len(scores)


def test_no_scores_no_quantile() -> None:
    assert quantile_threshold([], 0.02) is None


def test_a_budget_smaller_than_one_call_audits_only_above_the_top_score() -> None:
    assert quantile_threshold([0.1, 0.2, 0.3], 0.02) == 0.3


def test_while_warming_up_the_ceiling_is_in_force() -> None:
    threshold = threshold_in_force([0.99] * 9, 0.02, floor=0.5, ceiling=0.9, min_samples=10)
    assert (threshold.value, threshold.quantile, threshold.samples) == (0.9, None, 9)


def test_the_floor_and_the_ceiling_clamp_the_quantile() -> None:
    quiet = threshold_in_force([0.0] * 50, 0.02, floor=0.5, ceiling=0.9, min_samples=10)
    assert (quiet.value, quiet.quantile) == (0.5, 0.0)
    loud = threshold_in_force([0.99] * 50, 0.02, floor=0.5, ceiling=0.9, min_samples=10)
    assert (loud.value, loud.quantile) == (0.9, 0.99)
    middle = threshold_in_force(
        [i / 100 for i in range(100)], 0.1, floor=0.5, ceiling=0.95, min_samples=10
    )
    assert middle.value == 0.89
    assert middle.as_details("audit") == {
        "audit_threshold": 0.89,
        "audit_quantile": 0.89,
        "samples": 100,
    }


async def test_without_a_database_a_window_keeps_its_own_scores() -> None:
    window = ScoreWindow("monitor", size=3, refresh_s=3600)
    for score in (0.1, 0.2, 0.3, 0.4):
        await window.add(score)
    assert await window.current() == [0.2, 0.3, 0.4]
    assert not window.database_ok


@pytest.mark.django_db(transaction=True)
async def test_workers_share_the_window_through_the_database() -> None:
    first = ScoreWindow("shared", size=4, refresh_s=3600)
    second = ScoreWindow("shared", size=4, refresh_s=3600)
    other = ScoreWindow("another", size=4, refresh_s=3600)
    assert await second.current() == []  # read (empty) now: the copy is kept for an hour
    for score in (0.1, 0.2, 0.3, 0.4, 0.5):
        await first.add(score)
    await other.add(0.9)
    assert await second.current() == []  # within refresh_s the worker's copy stands
    second.fetched_at = float("-inf")  # refresh_s passed
    assert await second.current() == [0.2, 0.3, 0.4, 0.5]
    assert first.database_ok and second.database_ok


@pytest.mark.django_db
def test_old_scores_are_pruned_beyond_the_window() -> None:
    from policies.monitor_window import _insert_score

    for i in range(40):
        _insert_score("pruned", i / 100, 4)
    kept = list(MonitorScore.objects.filter(policy="pruned").values_list("score", flat=True))
    assert len(kept) < 40
    assert sorted(kept)[-4:] == [0.36, 0.37, 0.38, 0.39]
