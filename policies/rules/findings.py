"""A `Finding`: one rule that matched, with the text it matched (the unit `allow` is tried on)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from policies.rules.shell_model import Script


@dataclass(frozen=True, slots=True)
class Finding:
    """`rule` is a stable id (`rm-home`), `reason` a human sentence, `subject` the command line,
    pipeline, path or URL it is about; `alternatives` are other spellings of the subject (e.g.
    the command with its `sudo` prefix) that an allow pattern may match instead."""

    rule: str
    reason: str
    subject: str
    alternatives: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """The reason with its subject, for the block notice: `reason: subject`."""
        subject = self.subject if len(self.subject) <= 200 else self.subject[:199] + "…"
        return f"{self.reason}: {subject}" if subject else self.reason

    def allowed_by(self, patterns: Iterable[re.Pattern[str]]) -> bool:
        """Whether any allow regex is found in the subject or one of its alternatives."""
        texts = (self.subject, *self.alternatives)
        return any(p.search(text) for p in patterns for text in texts)


def compile_patterns(patterns: Iterable[str]) -> list[re.Pattern[str]]:
    """Compile user regexes once (config validation has already rejected invalid ones)."""
    return [re.compile(p) for p in patterns if p]


def first_unallowed(
    findings: Iterable[Finding], allow: Iterable[re.Pattern[str]]
) -> Finding | None:
    """The first finding no allow pattern covers, or None."""
    allow = list(allow)
    return next((f for f in findings if not f.allowed_by(allow)), None)


def check_regexes(patterns: list[str]) -> list[str]:
    """Config validator: raise ValueError naming the first pattern that is not a valid regex."""
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"invalid regular expression {pattern!r}: {error}") from error
    return patterns


def incomplete_finding(script: Script) -> Finding | None:
    """A `too-complex` finding when part of `script` could not be analysed (it is longer or
    more deeply nested than the parser's limits): what cannot be checked is not let through."""
    if script.complete:
        return None
    return Finding(
        "too-complex", "the command is too long or too deeply nested to check", script.source
    )
