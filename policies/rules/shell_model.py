"""The parsed form of a shell command line: scripts, pipelines and simple commands.

A `Script` is what one command string parses to: a list of pipelines in the order they run
(`&&`, `||`, `;`, `&` and newlines all just separate pipelines here). A pipeline's stages are
simple commands, groups (`( … )` subshells and `{ …; }` blocks) or function definitions.
Commands a simple command runs indirectly (`$( … )`, backticks, `<( … )`, `bash -c '…'`,
`eval`, `find -exec`, a here-document fed to a shell) are parsed too and hang off it, so
`Script.walk()` sees every command that would run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from policies.rules.programs import program


@dataclass(slots=True)
class Redirect:
    """One redirection: `op` is `>`, `>>`, `<`, `<<`, `<<<`, `&>`, `>&`, …; `fd` the explicit
    descriptor (`2` in `2>file`) if any; `body` the text of a here-document or here-string."""

    op: str
    target: str
    fd: str | None = None
    body: str | None = None

    @property
    def writes(self) -> bool:
        """Whether this redirection writes to the file named by `target`."""
        if self.op in (">&", "<&"):
            return not (self.target.isdigit() or self.target == "-")
        return self.op in (">", ">>", ">|", "&>", "&>>", "<>")


@dataclass(slots=True)
class SimpleCommand:
    """One simple command. `words` are as written (quotes removed, `$…` left as text); `argv`
    is the command that actually runs once wrappers (`sudo`, `env X=1`, `timeout 5`, `xargs`,
    …, listed in `wrappers`) are peeled off. `substitutions` are the scripts inside `$( … )`,
    backticks and `<( … )` in its words; `nested` the scripts it runs (`bash -c`, `eval`,
    `find -exec`, a here-document fed to a shell). `cwd` and `env` are what earlier `cd` and
    `X=…` commands of the same script set (None / {} when unknown). `quoted` says which words
    had quotes (an expansion in them is not split into words). `decoded` when its words
    or the program it runs came from decoding hidden text (`$(echo … | base64 -d)`)."""

    words: list[str]
    quoted: list[bool] = field(default_factory=list)
    argv: list[str] = field(default_factory=list)
    wrappers: list[str] = field(default_factory=list)
    assignments: dict[str, str] = field(default_factory=dict)
    redirects: list[Redirect] = field(default_factory=list)
    substitutions: list[Script] = field(default_factory=list)
    nested: list[Script] = field(default_factory=list)
    cwd: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    decoded: bool = False

    @property
    def name(self) -> str:
        """The program name of `argv[0]` without its directory or `.exe` (`/bin/rm` → `rm`)."""
        return program(self.argv[0]) if self.argv else ""

    @property
    def args(self) -> list[str]:
        """`argv` without the program name."""
        return self.argv[1:]

    @property
    def line(self) -> str:
        """The effective command as one line: `argv` joined by single spaces."""
        return " ".join(self.argv)

    @property
    def raw_line(self) -> str:
        """The command as written (wrappers and redirections included), words joined by
        single spaces: `sudo tee -a /etc/hosts > /dev/null`."""
        redirects = [f"{r.fd or ''}{r.op} {r.target}" for r in self.redirects if r.target]
        return " ".join([*self.words, *redirects])

    def walk(self) -> Iterator[SimpleCommand]:
        """This command, then every command it runs indirectly, depth first."""
        yield self
        for script in (*self.substitutions, *self.nested):
            yield from script.walk()


@dataclass(slots=True)
class Group:
    """`( … )` (a subshell when `subshell`) or `{ …; }` with its redirections."""

    body: Script
    subshell: bool
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class FunctionDef:
    """`name() { … }` or `function name { … }`."""

    name: str
    body: Script


Stage = SimpleCommand | Group | FunctionDef


@dataclass(slots=True)
class Pipeline:
    """Stages joined by `|` (or `|&`); `background` when it ends with `&`."""

    stages: list[Stage] = field(default_factory=list)
    background: bool = False

    def stage_commands(self, index: int) -> list[SimpleCommand]:
        """Every simple command that runs in stage `index`, nested ones included."""
        return list(_stage_walk(self.stages[index]))

    @property
    def line(self) -> str:
        """The pipeline as one line, stages joined by ` | `."""
        return " | ".join(_stage_line(stage) for stage in self.stages)


@dataclass(slots=True)
class Script:
    """A parsed command string: pipelines in order. `incomplete` when a size or nesting
    limit left part of it unparsed (see `complete`); `malformed` when a quote, `$( … )` or
    backtick is never closed, so a shell would refuse it (see `well_formed`)."""

    pipelines: list[Pipeline] = field(default_factory=list)
    source: str = ""
    incomplete: bool = False
    malformed: bool = False

    def scripts(self) -> Iterator[Script]:
        """This script and every script inside it (groups, functions, nested commands)."""
        yield self
        for pipeline in self.pipelines:
            for stage in pipeline.stages:
                for script in _stage_scripts(stage):
                    yield from script.scripts()

    @property
    def complete(self) -> bool:
        """Whether everything was analysed: no limit was hit anywhere inside."""
        return not any(script.incomplete for script in self.scripts())

    @property
    def well_formed(self) -> bool:
        """Whether every part of it tokenises like a shell would accept it."""
        return not any(script.malformed for script in self.scripts())

    def walk(self) -> Iterator[SimpleCommand]:
        """Every simple command, nested ones included, in source order (depth first)."""
        for pipeline in self.pipelines:
            for stage in pipeline.stages:
                yield from _stage_walk(stage)

    def walk_pipelines(self) -> Iterator[Pipeline]:
        """Every pipeline, including those of groups, functions and nested scripts."""
        for script in self.scripts():
            yield from script.pipelines

    def functions(self) -> Iterator[FunctionDef]:
        """Every function definition, nested ones included."""
        for pipeline in self.walk_pipelines():
            for stage in pipeline.stages:
                if isinstance(stage, FunctionDef):
                    yield stage

    def commands(self) -> list[list[str]]:
        """Every simple command's effective argv (empty commands left out)."""
        return [cmd.argv for cmd in self.walk() if cmd.argv]


def _stage_walk(stage: Stage) -> Iterator[SimpleCommand]:
    if isinstance(stage, SimpleCommand):
        yield from stage.walk()
    else:
        yield from stage.body.walk()


def _stage_scripts(stage: Stage) -> list[Script]:
    if isinstance(stage, SimpleCommand):
        return [*stage.substitutions, *stage.nested]
    return [stage.body]


def _stage_line(stage: Stage) -> str:
    if isinstance(stage, SimpleCommand):
        return stage.raw_line
    if isinstance(stage, FunctionDef):
        return f"{stage.name}() {{ … }}"
    inner = "; ".join(p.line for p in stage.body.pipelines)
    return f"( {inner} )" if stage.subshell else f"{{ {inner}; }}"
