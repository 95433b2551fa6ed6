"""Secret-looking strings in text (tool results): keys, tokens, private keys, passwords.

Used by the `taint` trajectory rule: a tool result that prints one taints the session. The
patterns favour well-known token shapes (few false positives) plus `password=…`-style
assignments; `SECRET_PATTERNS` can be extended by a policy config.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SECRET_PATTERNS: tuple[tuple[str, str], ...] = (
    ("private-key", r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY(?: BLOCK)?-----"),
    ("aws-access-key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b"),
    ("anthropic-key", r"\bsk-ant-[A-Za-z0-9_-]{20,}"),
    ("openai-key", r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}"),
    ("slack-token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
    ("stripe-key", r"\b[sr]k_live_[0-9A-Za-z]{20,}\b"),
    (
        "assigned-secret",
        r"(?i)(?:password|passwd|secret|api[_-]?key|access[_-]?key|auth[_-]?token|token)"
        r"\s*[=:]\s*['\"]?[^\s'\"$<>{}]{8,}",
    ),
)


class SecretMatcher:
    """Finds the first secret-looking string in a text (built-in and extra patterns)."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self.patterns = [(rule, re.compile(p)) for rule, p in SECRET_PATTERNS]
        self.patterns += [("custom", re.compile(p)) for p in extra]

    def find(self, text: str) -> str | None:
        """The rule id of the first pattern found in `text`, or None."""
        for rule, pattern in self.patterns:
            if pattern.search(text):
                return rule
        return None
