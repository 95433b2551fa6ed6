"""The shell tokenizer: a command string → words, operators and redirections.

It follows bash's quoting: `'…'` is literal, `"…"` keeps `$…` expansions, `\\` escapes one
character, `$'…'` decodes C escapes. Words come back with quotes removed and expansions left as
text (`$HOME`, `${X}`, `$(cmd)`); the token lists of command substitutions (`$( … )`, backticks,
`<( … )`, `>( … )`) ride along on the word so the parser can analyse them too. Here-document
bodies are read after the line that opens them and attached to their redirection. It never
raises: unterminated quotes or parentheses simply end at the end of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_DEPTH = 12  # substitutions nested deeper are kept as text and the word marked incomplete
_OPERATORS = (";;&", "&&", "||", ";;", ";&", "|&", "|", "&", ";", "(", ")")
_REDIRECTS = ("&>>", "&>", "<<<", "<<-", "<<", ">>", ">|", ">&", "<&", "<>", ">", "<")
_WORD_END = frozenset(" \t\n;&|()<>")
_FD = re.compile(r"\d+(?=[<>])")
_ANSI_C = re.compile(r"\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|c.|.)")
_C_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b"}
_C_ESCAPES |= {"f": "\f", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}


@dataclass(slots=True)
class Word:
    """A word with quotes removed; `subs` are the token lists of its command substitutions;
    `incomplete` when a substitution was nested too deeply to be lexed; `unterminated` when a
    quote, `$( … )` or backtick is never closed (a shell would refuse the whole line)."""

    text: str
    subs: list[list[Token]] = field(default_factory=list)
    quoted: bool = False
    incomplete: bool = False
    unterminated: bool = False

    def is_reserved(self, *names: str) -> bool:
        """Whether this is one of the unquoted reserved words `names` (e.g. `{`, `}`)."""
        return not self.quoted and self.text in names


@dataclass(slots=True)
class Op:
    """A control operator: `&&`, `||`, `;`, `;;`, `|`, `|&`, `&`, `(`, `)` or a newline."""

    op: str


@dataclass(slots=True)
class Redir:
    """A redirection operator with its target word (and here-document body, once read)."""

    op: str
    target: Word
    fd: str | None = None
    body: str | None = None


Token = Word | Op | Redir


def tokenize(text: str) -> list[Token]:
    """Split `text` into shell tokens (see the module docstring)."""
    return _Lexer(text, 0, 0).run(stop_at_paren=False)


def _decode_ansi_c(body: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "xuU":
            return chr(min(int(code[1:], 16), 0x10FFFF))
        if code[0].isdigit():
            return chr(int(code, 8))
        if code[0] == "c":
            return chr(ord(code[1]) & 0x1F)
        return _C_ESCAPES.get(code, "\\" + code)

    return _ANSI_C.sub(one, body)


class _Lexer:
    """One pass over `text` from `pos`; nested substitutions get their own lexer."""

    def __init__(self, text: str, pos: int, depth: int) -> None:
        self.text = text
        self.pos = pos
        self.depth = depth
        self.pending: list[tuple[Redir, str, bool]] = []  # heredocs waiting for a newline
        self.unclosed = False  # `run(stop_at_paren=True)` reached the end without its `)`

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def run(self, *, stop_at_paren: bool) -> list[Token]:
        """Tokens up to the end (or, with `stop_at_paren`, up to the unmatched `)`)."""
        tokens: list[Token] = []
        parens = 0
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t" or (char == "\\" and self.peek(1) == "\n"):
                self.pos += 1 if char != "\\" else 2
            elif char == "\n":
                self.pos += 1
                tokens.append(Op("\n"))
                self.read_heredocs()
            elif char == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            elif char in "<>" and self.peek(1) == "(":
                tokens.append(self.word())
            elif _FD.match(text, self.pos) or char in "<>" or text.startswith("&>", self.pos):
                tokens.append(self.redirect())
            elif char in ";&|()":
                op = next(o for o in _OPERATORS if text.startswith(o, self.pos))
                self.pos += len(op)
                if stop_at_paren and op == ")":
                    if parens == 0:
                        return tokens
                    parens -= 1
                elif stop_at_paren and op == "(":
                    parens += 1
                tokens.append(Op(op))
            else:
                tokens.append(self.word())
        self.unclosed = stop_at_paren
        return tokens

    def redirect(self) -> Redir:
        fd_match = _FD.match(self.text, self.pos)
        fd = fd_match.group() if fd_match else None
        if fd_match:
            self.pos = fd_match.end()
        op = next(o for o in _REDIRECTS if self.text.startswith(o, self.pos))
        self.pos += len(op)
        while self.peek() in (" ", "\t"):
            self.pos += 1
        ends = self.pos >= len(self.text) or (self.peek() in _WORD_END and self.peek(1) != "(")
        target = Word("") if ends else self.word()
        redir = Redir(op=op.rstrip("-"), target=target, fd=fd)
        if op in ("<<", "<<-"):
            self.pending.append((redir, target.text, op == "<<-"))
        elif op == "<<<":
            redir.body = target.text
        return redir

    def read_heredocs(self) -> None:
        """Read the bodies of here-documents opened on the line that just ended."""
        for redir, delimiter, strip_tabs in self.pending:
            lines: list[str] = []
            while self.pos < len(self.text):
                end = self.text.find("\n", self.pos)
                end = len(self.text) if end < 0 else end
                line = self.text[self.pos : end]
                self.pos = end + 1
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    break
                lines.append(line)
            redir.body = "\n".join(lines)
        self.pending.clear()
        self.pos = min(self.pos, len(self.text))

    def word(self) -> Word:
        """One word, from a non-blank, non-operator character (or `<(` / `>(`)."""
        out: list[str] = []
        word = Word("")
        if self.peek() in "<>" and self.peek(1) == "(":
            out.append(self.substitution(word, 2))
        while self.pos < len(self.text) and self.peek() not in _WORD_END:
            char = self.peek()
            if char == "'":
                end = self.text.find("'", self.pos + 1)
                word.unterminated = word.unterminated or end < 0
                end = len(self.text) if end < 0 else end
                out.append(self.text[self.pos + 1 : end])
                self.pos = end + 1
                word.quoted = True
            elif char == '"' or (char == "$" and self.peek(1) == '"'):
                self.pos += 1 if char == '"' else 2
                out.append(self.double_quoted(word))
                word.quoted = True
            elif char == "$" and self.peek(1) == "'":
                out.append(_decode_ansi_c(self.ansi_c_body()))
                word.quoted = True
            elif char == "\\":
                out.append(self.peek(1) if self.peek(1) != "\n" else "")
                self.pos += 2
                word.quoted = True
            elif char in "$`":
                out.append(self.expansion(word))
            else:
                out.append(char)
                self.pos += 1
        word.text = "".join(out)
        return word

    def double_quoted(self, word: Word) -> str:
        out: list[str] = []
        while self.pos < len(self.text) and self.peek() != '"':
            char = self.peek()
            if char == "\\" and self.peek(1) in ('"', "\\", "$", "`", "\n"):
                out.append(self.peek(1) if self.peek(1) != "\n" else "")
                self.pos += 2
            elif char in "$`":
                out.append(self.expansion(word))
            else:
                out.append(char)
                self.pos += 1
        word.unterminated = word.unterminated or self.pos >= len(self.text)
        self.pos += 1
        return "".join(out)

    def ansi_c_body(self) -> str:
        start = self.pos + 2
        index = start
        while index < len(self.text) and self.text[index] != "'":
            index += 2 if self.text[index] == "\\" else 1
        self.pos = index + 1
        return self.text[start : min(index, len(self.text))]

    def expansion(self, word: Word) -> str:
        """`$(…)`, `` `…` ``, `$((…))`, `${…}` or a plain `$`: returned as written."""
        start = self.pos
        if self.text.startswith("$((", self.pos):
            self.pos = matching(self.text, self.pos + 3, "(", ")", 2)
        elif self.text.startswith("$(", self.pos):
            return self.substitution(word, 2)
        elif self.text.startswith("${", self.pos):
            self.pos = matching(self.text, self.pos + 2, "{", "}", 1)
        elif self.peek() == "`":
            return self.backticks(word)
        else:
            self.pos += 1
        return self.text[start : self.pos]

    def substitution(self, word: Word, skip: int) -> str:
        """`$(`, `<(` or `>(` … `)`: lexed by a nested lexer; returns the source text."""
        start = self.pos
        if self.depth >= MAX_DEPTH:
            word.incomplete = True
            self.pos = matching(self.text, self.pos + skip, "(", ")", 1)
            return self.text[start : self.pos]
        inner = _Lexer(self.text, self.pos + skip, self.depth + 1)
        word.subs.append(inner.run(stop_at_paren=True))
        word.unterminated = word.unterminated or inner.unclosed
        self.pos = inner.pos
        return self.text[start : self.pos]

    def backticks(self, word: Word) -> str:
        start = self.pos
        index = start + 1
        body: list[str] = []
        while index < len(self.text) and self.text[index] != "`":
            if self.text[index] == "\\" and index + 1 < len(self.text):
                escaped = self.text[index + 1]
                body.append(escaped if escaped in "`\\$" else "\\" + escaped)
                index += 2
            else:
                body.append(self.text[index])
                index += 1
        word.unterminated = word.unterminated or index >= len(self.text)
        self.pos = index + 1
        if self.depth < MAX_DEPTH:
            word.subs.append(_Lexer("".join(body), 0, self.depth + 1).run(stop_at_paren=False))
        else:
            word.incomplete = True
        return self.text[start : min(self.pos, len(self.text))]


def matching(text: str, pos: int, opening: str, closing: str, depth: int) -> int:
    """The index just past the `closing` that brings `depth` to zero (quotes skipped)."""
    while pos < len(text):
        char = text[pos]
        if char in "'\"":
            end = text.find(char, pos + 1)
            pos = len(text) if end < 0 else end + 1
            continue
        if char == "\\":
            pos += 2
            continue
        if char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return pos + 1
        pos += 1
    return len(text)
