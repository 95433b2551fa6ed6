"""A `Finding`: one rule that matched, with the text it matched (the unit `allow` is tried on),
its category in the threat taxonomy, and whether it is certain or only `uncertain`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from policies.rules.taxonomy import category_title, rule_category

if TYPE_CHECKING:
    from policies.rules.shell_model import Script


@dataclass(frozen=True, slots=True)
class Finding:
    """`rule` is a stable id (`rm-home`), `reason` a human sentence, `subject` the command line,
    pipeline, path or URL it is about; `alternatives` are other spellings of the subject (e.g.
    the command with its `sudo` prefix) that an allow pattern may match instead. `category` is
    the taxonomy id (from the rule id unless given); `uncertain` marks a call the preset could
    not decide (its config says whether to block, allow or ask a judge)."""

    rule: str
    reason: str
    subject: str
    alternatives: tuple[str, ...] = ()
    category: str = ""
    uncertain: bool = False

    def __post_init__(self) -> None:
        if not self.category:
            object.__setattr__(self, "category", rule_category(self.rule))

    @property
    def message(self) -> str:
        """The category, the reason and its subject, for the block notice:
        `data destruction (files …): recursive delete of the home directory: rm -rf ~`."""
        subject = self.subject if len(self.subject) <= 200 else self.subject[:199] + "…"
        text = f"{category_title(self.category)}: {self.reason}"
        return f"{text}: {subject}" if subject else text

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
    """The first certain finding no allow pattern covers; failing that the first such
    uncertain one; None when every finding is allowed."""
    allow = list(allow)
    remaining = [f for f in findings if not f.allowed_by(allow)]
    return next((f for f in remaining if not f.uncertain), remaining[0] if remaining else None)


def check_regexes(patterns: list[str]) -> list[str]:
    """Config validator: raise ValueError naming the first pattern that is not a valid regex."""
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"invalid regular expression {pattern!r}: {error}") from error
    return patterns


def incomplete_finding(script: Script) -> Finding | None:
    """An uncertain finding when part of `script` could not be analysed: `too-complex` (longer
    or more deeply nested than the parser's limits) or `unparseable` (a quote, `$( … )` or
    backtick never closed). What cannot be checked is never simply let through."""
    if not script.complete:
        reason = "the command is too long or too deeply nested to check"
        return Finding("too-complex", reason, script.source, uncertain=True)
    if not script.well_formed:
        reason = "the command does not parse (a quote or substitution is never closed)"
        return Finding("unparseable", reason, script.source, uncertain=True)
    return None
