"""Shell command analysis without running anything: the entry point of the rule presets.

`parse_shell(text)` returns a `Script`: every simple command as an argv list (wrappers such as
`sudo`, `env X=1`, `timeout 5`, `xargs`, `nohup` peeled off), the pipe structure, and the
commands run indirectly (`$( … )`, backticks, `<( … )`, `bash -c`, `eval`, `find -exec`, a
constant text piped into a shell, …), each annotated with the working directory and variables
earlier commands of the same script set (`cd / && rm -rf *` deletes `/*`) and normalised
(`X=rm; $X -rf ~` runs `rm -rf ~`). The pieces: `shell_lex` (tokens), `shell_parse` (grammar),
`shell_wrappers` (unwrapping), `shell_normalise` (expansion), `shell_model` (the data classes).

    >>> [c.argv for c in parse_shell("sudo bash -c 'rm -rf ~' && echo ok").walk()]
    [['bash', '-c', 'rm -rf ~'], ['rm', '-rf', '~'], ['echo', 'ok']]
"""

from __future__ import annotations

from dataclasses import dataclass, field

from policies.rules.paths import HOME, normalize
from policies.rules.programs import positionals
from policies.rules.shell_model import (
    FunctionDef,
    Group,
    Pipeline,
    Redirect,
    Script,
    SimpleCommand,
    Stage,
)
from policies.rules.shell_normalise import (
    expand_word,
    normalise_command,
    pipeline_feeds,
    xargs_file_input,
)
from policies.rules.shell_parse import MAX_NESTING, parse_text
from policies.rules.shell_wrappers import ASSIGNMENT

__all__ = [
    "FunctionDef",
    "Group",
    "Pipeline",
    "Redirect",
    "Script",
    "SimpleCommand",
    "Stage",
    "parse_shell",
    "simple_commands",
]

MAX_COMMAND_CHARS = 200_000  # longer command strings are cut here and marked incomplete
MAX_VALUE_CHARS = 10_000  # longer variable values are kept as written, not expanded
_DECLARATIONS = frozenset({"export", "declare", "typeset", "local", "readonly"})


@dataclass(slots=True)
class _State:
    cwd: str | None
    env: dict[str, str] = field(default_factory=dict)
    depth: int = 0

    def copy(self) -> _State:
        return _State(self.cwd, dict(self.env), self.depth)

    def nested(self) -> _State:
        """A copy for a script run by a command (one level deeper)."""
        return _State(self.cwd, dict(self.env), self.depth + 1)


def parse_shell(text: str, *, cwd: str | None = None) -> Script:
    """Parse a command line into a `Script` with working directories and variables filled in.
    `cwd` is the directory the script starts in, when known."""
    script = parse_text(text[:MAX_COMMAND_CHARS])
    script.incomplete = script.incomplete or len(text) > MAX_COMMAND_CHARS
    _annotate_script(script, _State(normalize(cwd) if cwd else None))
    return script


def simple_commands(text: str) -> list[list[str]]:
    """Every simple command of `text` that would run, as effective argv lists."""
    return parse_shell(text).commands()


def _parse_nested(text: str) -> Script:
    return parse_text(text, depth=1)


def _annotate_script(script: Script, state: _State) -> None:
    if state.depth > MAX_NESTING:
        script.incomplete = True
        return
    for pipeline in script.pipelines:
        alone = len(pipeline.stages) == 1 and not pipeline.background
        for stage in pipeline.stages:
            _annotate_stage(stage, state if alone else state.copy())
        for command, program in pipeline_feeds(pipeline, _parse_nested):
            _annotate_script(program, state.nested())
            command.nested.append(program)


def _annotate_stage(stage: Stage, state: _State) -> None:
    if isinstance(stage, SimpleCommand):
        stage.cwd = state.cwd
        stage.env = dict(state.env)
        normalise_command(stage, _parse_nested)
        if "xargs" in stage.wrappers and stage.argv:
            stage.argv += xargs_file_input(stage, _parse_nested)
        for script in (*stage.substitutions, *stage.nested):
            _annotate_script(script, state.nested())
        _apply(stage, state)
    elif isinstance(stage, Group):
        _annotate_script(stage.body, state.copy() if stage.subshell else state)
    elif isinstance(stage, FunctionDef):
        _annotate_script(stage.body, state.copy())


def _apply(command: SimpleCommand, state: _State) -> None:
    """What a command changes for the commands after it: `cd`, `X=…`, `export X=…`."""
    if not command.words:
        for name, raw in command.assignments.items():
            value = expand_word(raw, state.env, _parse_nested).text
            if len(value) > MAX_VALUE_CHARS:
                value = raw  # a value that keeps growing is left unexpanded
            plain = "/" in value and not any(mark in value for mark in ("://", "$(", "`"))
            state.env[name] = normalize(value, env=state.env) if plain else value
        return
    name = command.name
    if name in _DECLARATIONS:
        for arg in command.args:
            match = ASSIGNMENT.match(arg)
            if match:
                state.env[match.group(1)] = match.group(2)
    elif name in ("cd", "pushd", "chdir"):
        targets = positionals(command.args)
        target = targets[0] if targets else HOME
        state.cwd = None if target == "-" else normalize(target, cwd=state.cwd, env=state.env)
    elif name == "popd":
        state.cwd = None
    elif name == "for" and len(command.args) >= 2 and command.args[1] == "in":
        state.env[command.args[0]] = " ".join(command.args[2:])
