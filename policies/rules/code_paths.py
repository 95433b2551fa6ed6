"""Paths named by inline interpreter code, with home-directory expressions resolved.

`fold_code(code)` rewrites Python, Node, Perl, Ruby, PHP or Lua source so that every path is one
string literal: home-directory expressions become `'~'` (`os.path.expanduser('~')`,
`Path.home()`, `os.homedir()`, `process.env.HOME`, `Dir.home`, `$ENV{HOME}`, …, also when
interpolated into a string), and literals joined by `+`, by pathlib's `/` or inside a
`join(…)` call are merged (`process.env.HOME + '/.npmrc'` → `'~/.npmrc'`). `string_literals`
then lists them. Nothing is evaluated; unknown expressions stay as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_HOME_CALLS = re.compile(
    r"(?:os\.path\.expanduser|expanduser)\(\s*(['\"])~\1\s*\)"
    r"|(?:pathlib\.)?Path\.home\(\)"
    r"|os\.environ(?:\[\s*(['\"])HOME\2\s*\]|\.get\(\s*(['\"])HOME\3\s*\))"
    r"|(?:os\.)?getenv\(\s*(['\"])HOME\4\s*\)"
    r"|(?:require\(\s*(['\"])os\5\s*\)|\bos)\.homedir\(\)"
    r"|process\.env(?:\.HOME\b|\[\s*(['\"])HOME\6\s*\])"
    r"|(?<![#{])\bDir\.home\b|(?<!#\{)ENV\[\s*(['\"])HOME\7\s*\]"
    r"|ENV\.fetch\(\s*(['\"])HOME\8\s*\)"
)
_PERL_HOME = re.compile(r"\$ENV\{\s*['\"]?HOME['\"]?\s*\}")
_INTERPOLATED_HOME = re.compile(
    r"\$ENV\{\s*['\"]?HOME['\"]?\s*\}|#\{\s*(?:ENV\[\s*['\"]HOME['\"]\s*\]|Dir\.home)\s*\}"
    r"|\$\{\s*(?:process\.env\.HOME|os\.homedir\(\)|require\(['\"]os['\"]\)\.homedir\(\))\s*\}"
    r"|\$\{?HOME\}?"
)
_QUOTES = "'\"`"
_JOIN = re.compile(r"join\(\s*$")
MAX_CODE = 200_000


@dataclass(frozen=True, slots=True)
class _Piece:
    """A run of code, or a string literal (`literal` set, `text` without quotes)."""

    text: str
    literal: bool


def _pieces(code: str) -> Iterator[_Piece]:
    """Code and string literals in order (quotes `'`, `"`, backtick; backslash escapes)."""
    start = index = 0
    while index < len(code):
        char = code[index]
        if char in _QUOTES:
            if index > start:
                yield _Piece(code[start:index], False)
            end = index + 1
            while end < len(code) and code[end] != char:
                end += 2 if code[end] == "\\" else 1
            yield _Piece(code[index + 1 : min(end, len(code))], True)
            start = index = end + 1
        else:
            index += 1
    if start < len(code):
        yield _Piece(code[start:], False)


def _resolved(code: str) -> list[_Piece]:
    """Home expressions in code become `~` literals; interpolated ones in literals become `~`."""
    out: list[_Piece] = []
    for piece in _pieces(_HOME_CALLS.sub("'~'", code[:MAX_CODE])):
        if piece.literal:
            out.append(_Piece(_INTERPOLATED_HOME.sub("~", piece.text), True))
            continue
        position = 0
        for match in _PERL_HOME.finditer(piece.text):
            out.append(_Piece(piece.text[position : match.start()], False))
            out.append(_Piece("~", True))
            position = match.end()
        out.append(_Piece(piece.text[position:], False))
    return [p for p in out if p.literal or p.text]


def _joiner(between: str, before: str) -> str | None:
    """How two adjacent literals combine given the code between them, or None."""
    glue = between.strip()
    if glue == "+" or glue == ".":  # JS/Python/Ruby `+`, Perl/PHP `.`
        return ""
    if glue == "/":
        return "/"
    if glue == "," and _JOIN.search(before):
        return "/"
    return None


def _folded(pieces: list[_Piece]) -> list[_Piece]:
    out: list[_Piece] = []
    for piece in pieces:
        if (
            piece.literal
            and len(out) >= 2
            and out[-2].literal
            and not out[-1].literal
            and (glue := _joiner(out[-1].text, _before_literal(out))) is not None
        ):
            left = out[-2].text
            joined = left.rstrip("/") + "/" + piece.text.lstrip("/") if glue else left + piece.text
            out[-2:] = [_Piece(joined, True)]
        elif piece.literal and out and out[-1].literal:
            out.append(_Piece("", False))
            out.append(piece)
        else:
            out.append(piece)
    return out


def _before_literal(out: list[_Piece]) -> str:
    """The code just before the literal that `out[-2]` is (to spot `join(`)."""
    index = len(out) - 2
    while index >= 0 and out[index].literal:
        index -= 1
    return out[index].text if index >= 0 else ""


def fold_code(code: str) -> str:
    """`code` with home expressions resolved and joined literals merged (see the module)."""
    pieces = _folded(_resolved(code))
    return "".join(f"'{p.text}'" if p.literal else p.text for p in pieces)


def string_literals(code: str) -> list[str]:
    """The string literals of `code` after folding, in order (empty ones left out)."""
    pieces = _folded(_resolved(code))
    return [p.text for p in pieces if p.literal and p.text]


def call_arguments(code: str, names: re.Pattern[str]) -> list[str]:
    """The argument text of each call whose callee matches `names` (`rmtree(` → its args);
    an empty string for a call without arguments."""
    found: list[str] = []
    for match in names.finditer(code):
        start = code.find("(", match.end() - 1)
        if start < 0 or code[match.end() : start].strip():
            continue
        depth, index = 0, start
        while index < len(code):
            if code[index] == "(":
                depth += 1
            elif code[index] == ")":
                depth -= 1
                if depth == 0:
                    break
            index += 1
        found.append(code[start + 1 : index])
    return found
