"""Peel wrapper commands off a simple command and find the scripts it runs indirectly.

`sudo -u root env X=1 timeout 5 rm -rf /` runs `rm -rf /`: `resolve` sets the command's `argv`
to that and lists the wrappers. It then parses what the command runs as text or as a nested
command: `bash -c '…'`, `eval …`, `su -c '…'`, `watch '…'`, `find … -exec … ;`, a here-document
or here-string fed to a shell, a command run in a container or on another host
(`docker exec db psql …`, `kubectl exec pod -- …`, `ssh host '…'`), and shell commands
embedded in inline interpreter code (`python -c "os.system('…')"`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from policies.rules.code_paths import fold_code
from policies.rules.programs import (
    interpreter_code,
    positionals,
    program,
    reads_program_from_stdin,
    shell_script_arg,
)
from policies.rules.shell_model import Script, SimpleCommand

ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[[^\]]*\])?\+?=(.*)$", re.DOTALL)
_EMBEDDED_SHELL = re.compile(
    r"\b(?:system|popen|execSync|exec|spawnSync|check_output|check_call|call|run|Popen|"
    r"getoutput|getstatusoutput|shell_exec|passthru)\s*\(\s*(?:\[(?P<list>[^\]]*)\]|"
    r"(?P<q>[\"'])(?P<str>(?:\\.|(?!(?P=q)).)*)(?P=q))",
    re.DOTALL,
)
_STRING_LITERAL = re.compile(r"([\"'])((?:\\.|(?!\1).)*)\1")
_FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})
MAX_WRAPPERS = 16

Parse = Callable[[str], Script]


@dataclass(frozen=True, slots=True)
class _Wrapper:
    """How a wrapper's own options look; `no_exec` options mean it runs nothing."""

    arg_opts: frozenset[str] = frozenset()
    positionals: int = 0
    assignments: bool = False
    no_exec: frozenset[str] = frozenset()


def _w(
    arg_opts: str = "", positionals: int = 0, assignments: bool = False, no_exec: str = ""
) -> _Wrapper:
    return _Wrapper(
        frozenset(arg_opts.split()), positionals, assignments, frozenset(no_exec.split())
    )


WRAPPERS: dict[str, _Wrapper] = {
    "sudo": _w(
        "-u -g -h -p -C -D -r -t -U -T -c --user --group --host --prompt",
        0,
        True,
        "-v -V -l -K -e --validate --list --edit --version",
    ),
    "doas": _w("-u -C", no_exec="-L"),
    "env": _w("-u -C -S --unset --chdir", 0, True),
    "nohup": _w(),
    "nice": _w("-n --adjustment"),
    "ionice": _w("-c -n -p -P -u --class --classdata"),
    "timeout": _w("-s -k --signal --kill-after", 1),
    "command": _w(no_exec="-v -V"),
    "builtin": _w(),
    "exec": _w("-a"),
    "time": _w("-f -o --format --output"),
    "stdbuf": _w("-i -o -e --input --output --error"),
    "xargs": _w(
        "-I -L -n -P -s -d -E -a --arg-file --delimiter --max-args --max-procs "
        "--max-lines --replace --eof --max-chars --process-slot-var"
    ),
    "setsid": _w(),
    "unbuffer": _w(),
    "chronic": _w(),
    "caffeinate": _w("-t -w"),
    "proxychains": _w("-f"),
    "proxychains4": _w("-f"),
    "torsocks": _w("-u -p -a -P"),
    "strace": _w("-e -o -p -s -u -a -b -E -I -O -S -X -P"),
    "flock": _w("-w -E --timeout --conflict-exit-code", 1, no_exec="-c --command"),
}


def resolve(command: SimpleCommand, parse: Parse) -> None:
    """Fill `command.argv`, `wrappers` and `nested` from its `words` (see module docstring)."""
    argv = list(command.words)
    for _ in range(MAX_WRAPPERS):
        if not argv:
            break
        name = program(argv[0])
        if name == "busybox" and len(argv) > 1:
            command.wrappers.append(name)
            argv = argv[1:]
            continue
        spec = WRAPPERS.get(name)
        if spec is None:
            break
        command.wrappers.append(name)
        argv = _strip_wrapper(argv, spec, command)
    command.argv = argv
    command.nested = nested_scripts(command, parse)


def _strip_wrapper(argv: list[str], spec: _Wrapper, command: SimpleCommand) -> list[str]:
    index = 1
    while index < len(argv):
        arg = argv[index]
        index += 1
        if arg == "--":
            break
        match = ASSIGNMENT.match(arg) if spec.assignments else None
        if match:
            command.assignments[match.group(1)] = match.group(2)
        elif arg.startswith("--"):
            name = arg.split("=", 1)[0]
            if name in spec.no_exec:
                return []
            index += name in spec.arg_opts and "=" not in arg
        elif arg.startswith("-") and len(arg) > 1:
            for position, char in enumerate(arg[1:], start=1):
                if f"-{char}" in spec.no_exec:
                    return []
                if f"-{char}" in spec.arg_opts:
                    index += position == len(arg) - 1
                    break
        else:
            index -= 1
            break
    return argv[index + spec.positionals :]


def nested_scripts(command: SimpleCommand, parse: Parse) -> list[Script]:
    """The scripts `command` runs as text or as a nested command (see module docstring)."""
    argv = command.argv
    if not argv:
        return []
    name = program(argv[0])
    sources: list[str] = []
    script = shell_script_arg(argv)
    if script is not None:
        sources.append(script)
    elif reads_program_from_stdin(argv):
        sources += [r.body for r in command.redirects if r.body is not None]
    if name == "eval":
        sources.append(" ".join(argv[1:]))
    elif name == "su":
        sources += _option_values(argv[1:], ("-c", "--command"))
    elif name == "watch":
        rest = positionals(argv[1:], {"-n", "--interval", "-q", "--equexit"}, stop_at_first=True)
        sources.append(" ".join(rest))
    elif name == "find":
        sources += _find_exec_commands(argv[1:])
    else:
        remote = remote_command(argv)
        if remote:
            sources.append(remote)
    code = interpreter_code(argv)
    if code:
        sources += embedded_shell_commands(code)
    return [parse(source) for source in sources if source.strip()]


_EXEC_ARG_OPTS = frozenset(
    [
        "-e",
        "--env",
        "--env-file",
        "-u",
        "--user",
        "-w",
        "--workdir",
        "--detach-keys",
        "-c",
        "--container",
        "-n",
        "--namespace",
        "--context",
        "-f",
        "--filename",
        "--pod-running-timeout",
    ]
)
_SSH_ARG_OPTS = frozenset(
    [
        "-b",
        "-c",
        "-D",
        "-E",
        "-e",
        "-F",
        "-I",
        "-i",
        "-J",
        "-L",
        "-l",
        "-m",
        "-O",
        "-o",
        "-p",
        "-Q",
        "-R",
        "-S",
        "-W",
        "-w",
        "-B",
    ]
)


def remote_command(argv: list[str]) -> str | None:
    """The command `docker exec C cmd…`, `docker compose exec S cmd…`, `kubectl exec P -- cmd…`
    or `ssh host cmd…` runs elsewhere, as one line (None when there is none)."""
    name, args = program(argv[0]), argv[1:]
    if name in ("docker", "podman", "nerdctl") and args[:2] == ["compose", "exec"]:
        args = args[1:]
    if name in ("docker", "podman", "nerdctl", "docker-compose") and args[:1] == ["exec"]:
        rest = positionals(args[1:], _EXEC_ARG_OPTS, stop_at_first=True)
        return shlex.join(rest[1:]) if len(rest) > 1 else None
    if name in ("kubectl", "oc") and "exec" in args and "--" in args:
        return shlex.join(args[args.index("--") + 1 :]) or None
    if name == "ssh":
        rest = positionals(args, _SSH_ARG_OPTS, stop_at_first=True)
        return " ".join(rest[1:]) if len(rest) > 1 else None
    return None


def _option_values(args: list[str], names: tuple[str, ...]) -> list[str]:
    values: list[str] = []
    for index, arg in enumerate(args):
        if arg in names and index + 1 < len(args):
            values.append(args[index + 1])
        elif arg.startswith("--command="):
            values.append(arg.split("=", 1)[1])
    return values


def _find_exec_commands(args: list[str]) -> list[str]:
    commands: list[str] = []
    index = 0
    while index < len(args):
        if args[index] in _FIND_EXEC:
            end = index + 1
            while end < len(args) and args[end] not in (";", "+"):
                end += 1
            if end > index + 1:
                commands.append(shlex.join(args[index + 1 : end]))
            index = end
        index += 1
    return commands


def embedded_shell_commands(code: str) -> list[str]:
    """Shell command lines inside interpreter code: `os.system('…')`, `subprocess.run([…])`,
    `execSync('…')`, Perl/Ruby `system("…")`."""
    commands: list[str] = []
    for match in _EMBEDDED_SHELL.finditer(fold_code(code)):
        if match.group("list") is not None:
            words = [m.group(2) for m in _STRING_LITERAL.finditer(match.group("list"))]
            if words:
                commands.append(shlex.join(words))
        else:
            commands.append(match.group("str"))
    return commands
