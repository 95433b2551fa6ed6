"""Measuring the rule presets on a labelled corpus: `manage.py preset_eval` and the corpus test.

- `corpus`: read the labelled cases (YAML groups or JSON lines) into `Case` records;
- `scoring`: run a preset over the cases and count recall and false positives by category;
- `report`: the plain-text tables the command prints.
"""

from policies.preset_eval.corpus import Case, corpus_load, default_corpus_dir
from policies.preset_eval.report import report_lines
from policies.preset_eval.scoring import Outcome, Score, preset_evaluate, scores_by

__all__ = [
    "Case",
    "Outcome",
    "Score",
    "corpus_load",
    "default_corpus_dir",
    "preset_evaluate",
    "report_lines",
    "scores_by",
]
