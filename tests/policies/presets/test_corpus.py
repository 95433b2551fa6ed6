"""The preset corpus: well-formed, large and balanced enough, honest about its held-out split,
and each preset meets recall ≥ 97 % and false positives ≤ 1 % on it (overall and held out)."""

from __future__ import annotations

from collections import Counter

import pytest

from policies.preset import RulePresetPolicy
from policies.preset_eval import (
    Case,
    Outcome,
    corpus_load,
    default_corpus_dir,
    preset_evaluate,
    scores_by,
)
from policies.preset_eval.scoring import total
from policies.registry import registry
from policies.rules.taxonomy import CATEGORIES

MIN_RECALL = 0.97
MAX_FALSE_POSITIVES = 0.01
PRESETS = ("block-dangerous-commands", "block-sensitive-file-writes", "block-web-requests")


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return corpus_load(default_corpus_dir())


@pytest.fixture(scope="module")
def outcomes(cases: list[Case]) -> dict[str, list[Outcome]]:
    results: dict[str, list[Outcome]] = {}
    for name in PRESETS:
        policy = registry().get(name)()
        assert isinstance(policy, RulePresetPolicy)
        results[name] = preset_evaluate(policy, [c for c in cases if c.preset == name])
    return results


def test_corpus_is_large_balanced_and_well_labelled(cases: list[Case]) -> None:
    shell = [c for c in cases if c.preset == "block-dangerous-commands"]
    labels = Counter(c.label for c in shell)
    assert len(shell) >= 400 and labels["benign"] >= 200 and labels["dangerous"] >= 200
    assert {c.preset for c in cases} == set(PRESETS)
    assert {c.category for c in cases} <= set(CATEGORIES)
    assert all(c.source for c in cases), "every case names where it comes from"
    assert all(c.split in ("dev", "heldout", "fresh") for c in cases)


def test_held_out_is_at_least_a_quarter(cases: list[Case]) -> None:
    held_out = [c for c in cases if c.split in ("heldout", "fresh")]
    assert len(held_out) >= 0.25 * len(cases)
    for name in PRESETS:
        mine = [c for c in cases if c.preset == name]
        assert {"dev", "heldout"} <= {c.split for c in mine}, name


def test_no_case_is_listed_twice(cases: list[Case]) -> None:
    keys = Counter((c.preset, c.text) for c in cases)
    assert [k for k, n in keys.items() if n > 1] == []


@pytest.mark.parametrize("name", PRESETS)
def test_recall_and_false_positives_meet_the_bar(
    name: str, outcomes: dict[str, list[Outcome]]
) -> None:
    score = total(outcomes[name])
    misses = [o.case.text for o in outcomes[name] if o.case.dangerous and not o.flagged]
    false = [o.case.text for o in outcomes[name] if not o.case.dangerous and o.flagged]
    assert score.recall is not None and score.recall >= MIN_RECALL, misses
    assert score.false_positive_rate is not None
    assert score.false_positive_rate <= MAX_FALSE_POSITIVES, false


@pytest.mark.parametrize("name", PRESETS)
def test_every_split_meets_the_bar_too(name: str, outcomes: dict[str, list[Outcome]]) -> None:
    for split, score in scores_by(outcomes[name], lambda case: case.split).items():
        assert score.recall is not None and score.recall >= MIN_RECALL, split
        assert score.false_positive_rate is not None, split
        assert score.false_positive_rate <= MAX_FALSE_POSITIVES, split


def test_reasons_name_the_labelled_family(outcomes: dict[str, list[Outcome]]) -> None:
    """A blocked dangerous command's category is the family it was labelled with, except
    decoded payloads (classified by what they turn out to do) and a few dual cases."""
    policy = registry().get("block-dangerous-commands")()
    assert isinstance(policy, RulePresetPolicy)
    caught = [
        o.case
        for o in outcomes["block-dangerous-commands"]
        if o.flagged and not o.uncertain and o.case.category != "remote-code-execution/decode-exec"
    ]
    agree = 0
    for case in caught:
        finding = policy.check(case.tool_call())
        assert finding is not None
        agree += finding.category.split("/")[0] == case.category.split("/")[0]
    assert agree / len(caught) >= 0.99
