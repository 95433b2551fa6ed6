"""Glob patterns over normalised paths (see `paths.normalize`), gitignore-flavoured.

- A pattern without `/` matches the last component anywhere: `*.pem`, `.bashrc`, `id_rsa*`.
- A pattern starting with `/`, `~/` or a drive (`c:/`) matches the whole path: `/etc/**`,
  `~/.aws/credentials`, `c:/windows/**`.
- Any other pattern matches from any directory boundary: `.git/**`, `**/.ssh/**`.
- `*` and `?` stay within one component, `**` crosses them (`/etc/**` also matches `/etc`),
  `[abc]` / `[!abc]` are character classes, `{a,b}` alternatives. Matching ignores case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from policies.rules.paths import normalize


def compile_glob(pattern: str) -> re.Pattern[str]:
    """A compiled regex for `pattern` (home forms like `$HOME` or `/home/alice` become `~`)."""
    text = pattern.strip().replace("\\", "/")
    if text.startswith(("~", "$", "/")) or re.match(r"^[a-zA-Z]:/", text):
        text = normalize(text) + ("/" if text.endswith("/") and len(text) > 1 else "")
    if text.endswith("/"):
        text += "**"
    if "/" not in text:
        prefix = r"(?:.*/)?"
    elif text.startswith(("/", "~")) or re.match(r"^[a-z]:/", text, re.IGNORECASE):
        prefix = ""
    else:
        prefix = r"(?:.*/)?"
    return re.compile(prefix + _translate(text) + r"\Z", re.IGNORECASE | re.DOTALL)


def _translate(text: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if text.startswith("/**", index) and index + 3 == len(text):
            out.append(r"(?:/.*)?")
            index += 3
        elif text.startswith("**/", index):
            out.append(r"(?:.*/)?")
            index += 3
        elif text.startswith("**", index):
            out.append(r".*")
            index += 2
        elif char == "*":
            out.append(r"[^/]*")
            index += 1
        elif char == "?":
            out.append(r"[^/]")
            index += 1
        elif char == "[" and (end := text.find("]", index + 2)) > 0:
            body = text[index + 1 : end]
            body = "^" + body[1:] if body.startswith("!") else body
            out.append("[" + body.replace("\\", "\\\\") + "]")
            index = end + 1
        elif char == "{" and (end := text.find("}", index)) > 0:
            options = text[index + 1 : end].split(",")
            out.append("(?:" + "|".join(_translate(o) for o in options) + ")")
            index = end + 1
        else:
            out.append(re.escape(char))
            index += 1
    return "".join(out)


class GlobSet:
    """A list of glob patterns, compiled once; `match` names the first that matches."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = [(p, compile_glob(p)) for p in patterns if p.strip()]

    def match(self, *paths: str) -> str | None:
        """The first pattern matching any of `paths` (normalised paths), or None."""
        for pattern, regex in self.patterns:
            if any(regex.match(path) for path in paths):
                return pattern
        return None

    def __bool__(self) -> bool:
        return bool(self.patterns)
