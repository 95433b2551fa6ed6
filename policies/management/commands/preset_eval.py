"""`manage.py preset_eval [--preset NAME] [--corpus PATH] [--split S] [--errors]`: recall and
false-positive rate of the rule presets on the labelled corpus, per category and per preset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from policies.preset import RulePresetPolicy
from policies.preset_eval import corpus_load, default_corpus_dir, preset_evaluate, report_lines
from policies.preset_eval.corpus import CorpusError
from policies.registry import registry


class Command(BaseCommand):
    """Print per-category and per-preset recall and false-positive rate."""

    help = "Measure the rule presets on the labelled corpus (recall and false positives)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--preset", help="Only this preset (default: every preset found).")
        parser.add_argument(
            "--corpus", type=Path, help="A corpus file or folder (default: the project's)."
        )
        parser.add_argument("--split", help="Only cases of this split (dev, heldout).")
        parser.add_argument(
            "--errors", action="store_true", help="List missed and falsely flagged cases."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["corpus"] or default_corpus_dir()
        try:
            cases = corpus_load(path)
        except CorpusError as error:
            raise CommandError(str(error)) from error
        if options["split"]:
            cases = [c for c in cases if c.split == options["split"]]
        presets = sorted({c.preset for c in cases})
        if options["preset"]:
            presets = [p for p in presets if p == options["preset"]] or [options["preset"]]
        for name in presets:
            if name not in registry().names():
                raise CommandError(f"unknown preset {name!r}")
            policy = registry().get(name)()
            if not isinstance(policy, RulePresetPolicy):
                raise CommandError(f"{name!r} is not a rule preset")
            outcomes = preset_evaluate(policy, [c for c in cases if c.preset == name])
            if not outcomes:
                raise CommandError(f"no cases for {name!r} in {path}")
            for line in report_lines(name, outcomes, errors=options["errors"]):
                self.stdout.write(line)
            self.stdout.write("")
