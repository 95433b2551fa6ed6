"""The shell parser: tokens → `Script` (pipelines of simple commands, groups, functions).

A small recursive-descent parser over `shell_lex` tokens. `&&`, `||`, `;`, `&` and newlines
separate pipelines; `( … )` and `{ …; }` are groups; `name() { … }` and `function name { … }`
are function definitions; control keywords (`if`, `then`, `do`, `done`, …) are skipped so the
commands inside loops and conditionals are seen as ordinary commands. Like the tokenizer it never
raises: stray closers are skipped and unterminated groups end with the text.
"""

from __future__ import annotations

from policies.rules.shell_lex import Op, Redir, Token, Word, tokenize
from policies.rules.shell_model import (
    FunctionDef,
    Group,
    Pipeline,
    Redirect,
    Script,
    SimpleCommand,
    Stage,
)
from policies.rules.shell_wrappers import ASSIGNMENT, resolve

_SEPARATORS = frozenset({";", "\n", ";;", ";&", ";;&", "&&", "||", "|", "|&"})
_SKIPPED_KEYWORDS = ("!", "if", "then", "else", "elif", "do", "while", "until")
_CLOSING_KEYWORDS = ("fi", "done", "esac")
#: Nesting levels (groups, functions, nested scripts together). Deeper groups are read as if
#: ungrouped; deeper nested scripts are not parsed and the script is marked incomplete.
MAX_NESTING = 16


def parse_tokens(tokens: list[Token], *, source: str = "", depth: int = 0) -> Script:
    """Parse a token list (from `shell_lex.tokenize`) into a `Script`; nested `depth` levels
    deep (beyond `MAX_NESTING`, an empty incomplete script)."""
    if depth > MAX_NESTING:
        return Script(source=source, incomplete=True)
    parser = _Parser(tokens, depth)
    script = parser.script(source=source)
    script.incomplete = parser.incomplete
    script.malformed = parser.malformed
    return script


def parse_text(text: str, *, depth: int = 0) -> Script:
    """Tokenize and parse `text` (see `parse_tokens`)."""
    if depth > MAX_NESTING:
        return Script(source=text, incomplete=True)
    return parse_tokens(tokenize(text), source=text, depth=depth)


class _Parser:
    def __init__(self, tokens: list[Token], depth: int) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = depth
        self.incomplete = False
        self.malformed = False

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def at_op(self, *ops: str) -> bool:
        token = self.peek()
        return isinstance(token, Op) and token.op in ops

    def at_word(self, *names: str) -> bool:
        token = self.peek()
        return isinstance(token, Word) and token.is_reserved(*names)

    def script(self, *, source: str = "", closer: str = "") -> Script:
        """Pipelines until the end, or until `closer` (`)` or `}`) at a command start."""
        script = Script(source=source)
        while (token := self.peek()) is not None:
            if (closer == ")" and self.at_op(")")) or (closer == "}" and self.at_word("}")):
                break
            if isinstance(token, Op) and token.op in _SEPARATORS | {")"}:
                self.index += 1
            elif isinstance(token, Op) and token.op == "&":
                self.index += 1
                if script.pipelines:
                    script.pipelines[-1].background = True
            else:
                start = self.index
                pipeline = self.pipeline(closer)
                if pipeline.stages:
                    script.pipelines.append(pipeline)
                if self.index == start:
                    self.index += 1  # never loop on a token nothing consumes
        return script

    def pipeline(self, closer: str) -> Pipeline:
        pipeline = Pipeline()
        while True:
            stage = self.stage(closer)
            if stage is not None:
                pipeline.stages.append(stage)
            if not self.at_op("|", "|&"):
                return pipeline
            self.index += 1
            while self.at_op("\n"):
                self.index += 1

    def stage(self, closer: str) -> Stage | None:
        while self.at_word(*_SKIPPED_KEYWORDS):
            self.index += 1
        if self.at_word(*_CLOSING_KEYWORDS):
            self.index += 1
            return None
        while self.depth >= MAX_NESTING and (self.at_op("(") or self.at_word("{", "function")):
            self.index += 1  # too deep: read the contents as if they were not grouped
        if self.at_op("(") or self.at_word("{"):
            return self.group()
        if self.at_word("function"):
            self.index += 1
            name = self.peek()
            self.index += 1
            if self.at_op("("):
                self.index += 2
            return self.function(name.text if isinstance(name, Word) else "", closer)
        return self.simple(closer)

    def group(self) -> Group:
        subshell = self.at_op("(")
        self.index += 1
        self.depth += 1
        body = self.script(closer=")" if subshell else "}")
        self.depth -= 1
        self.index += 1  # the closer (or past the end)
        redirects: list[Redirect] = []
        while isinstance(token := self.peek(), Redir):
            redirects.append(self.redirect(token, []))
            self.index += 1
        return Group(body=body, subshell=subshell, redirects=redirects)

    def function(self, name: str, closer: str) -> FunctionDef:
        while self.at_op("\n"):
            self.index += 1
        self.depth += 1
        body = self.stage(closer)
        self.depth -= 1
        script = Script(pipelines=[Pipeline(stages=[body])] if body is not None else [])
        return FunctionDef(name=name, body=script)

    def simple(self, closer: str) -> Stage | None:
        command = SimpleCommand(words=[])
        while (token := self.peek()) is not None:
            if isinstance(token, Redir):
                command.redirects.append(self.redirect(token, command.substitutions))
            elif isinstance(token, Word):
                if not command.words and closer == "}" and token.is_reserved("}"):
                    break
                match = ASSIGNMENT.match(token.text)
                if not command.words and match:
                    command.assignments[match.group(1)] = match.group(2)
                else:
                    command.words.append(token.text)
                    command.quoted.append(token.quoted)
                command.substitutions += [self.nested(t) for t in token.subs]
                self.incomplete = self.incomplete or token.incomplete
                self.malformed = self.malformed or token.unterminated
            elif self.is_function_start(command) and self.depth < MAX_NESTING:
                self.index += 2
                return self.function(command.words[0], closer)
            else:
                break
            self.index += 1
        if not (command.words or command.assignments or command.redirects):
            return None
        resolve(command, lambda text: parse_text(text, depth=self.depth + 1))
        return command

    def is_function_start(self, command: SimpleCommand) -> bool:
        following = self.tokens[self.index + 1] if self.index + 1 < len(self.tokens) else None
        return (
            len(command.words) == 1
            and not command.assignments
            and self.at_op("(")
            and isinstance(following, Op)
            and following.op == ")"
        )

    def redirect(self, token: Redir, substitutions: list[Script]) -> Redirect:
        substitutions += [self.nested(t) for t in token.target.subs]
        self.incomplete = self.incomplete or token.target.incomplete
        self.malformed = self.malformed or token.target.unterminated
        return Redirect(op=token.op, target=token.target.text, fd=token.fd, body=token.body)

    def nested(self, tokens: list[Token]) -> Script:
        return parse_tokens(tokens, depth=self.depth + 1)
