"""What the rules know about common programs: option syntax, shells and interpreters.

Plain functions over argv lists (no parsing of command strings here): which words are
positional arguments, where a `bash -c` script or a `python -c` program is, whether an
interpreter reads its program from standard input (the `curl … | sh` case).
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Collection


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of `text` as a set (for long option tables)."""
    return frozenset(text.split())


SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "busybox"})
_SHELL_ARG_OPTS = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})
_PYTHON = re.compile(r"^(?:python|pypy)[0-9.]*$")
_NODE = frozenset({"node", "nodejs", "deno", "bun"})
_PERL_RUBY = frozenset({"perl", "ruby"})
_OTHER_INTERPRETERS = frozenset({"php", "lua", "Rscript", "tclsh", "osascript"})
_POWERSHELL = frozenset({"powershell", "powershell.exe", "pwsh", "iex", "invoke-expression"})


@functools.lru_cache(maxsize=4096)
def program(word: str) -> str:
    """The program name of an argv[0]: directory and Windows `.exe` dropped (`/bin/rm` → rm)."""
    name = posixpath.basename(word.replace("\\", "/"))
    return name[:-4] if name.lower().endswith(".exe") else name


def is_shell(name: str) -> bool:
    """Whether `name` is a POSIX-ish shell (`bash`, `sh`, `zsh`, …)."""
    return program(name) in SHELLS


@functools.lru_cache(maxsize=1024)
def is_python(name: str) -> bool:
    """Whether `name` is a Python interpreter (`python`, `python3.12`, `pypy3`)."""
    return bool(_PYTHON.match(program(name)))


def is_interpreter(name: str) -> bool:
    """Whether `name` runs programs given as text: shells, Python, Node, Perl, Ruby, …"""
    name = program(name)
    return (
        name in SHELLS
        or is_python(name)
        or name in _NODE
        or name in _PERL_RUBY
        or name in _OTHER_INTERPRETERS
        or name.lower() in _POWERSHELL
    )


def positionals(
    args: list[str], arg_opts: Collection[str] = (), *, stop_at_first: bool = False
) -> list[str]:
    """The non-option words of `args`. Options listed in `arg_opts` (`-o`, `--output`) take
    the next word as their value unless attached (`-ofile`, `--output=file`); a short option
    cluster (`-rf`) ending in one of them takes the next word too. `--` ends the options.
    With `stop_at_first`, everything from the first positional on is returned as is."""
    out: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            return out + args[index:]
        if arg.startswith("--"):
            if "=" not in arg and arg in arg_opts:
                index += 1
        elif arg.startswith("-") and len(arg) > 1:
            index += _short_cluster_takes_next(arg, arg_opts)
        else:
            if stop_at_first:
                return out + args[index - 1 :]
            out.append(arg)
    return out


def _short_cluster_takes_next(arg: str, arg_opts: Collection[str]) -> int:
    for position, char in enumerate(arg[1:], start=1):
        if f"-{char}" in arg_opts:
            return 1 if position == len(arg) - 1 else 0
    return 0


def short_flags(args: list[str]) -> set[str]:
    """Single letters of every short option cluster (`-rf` → {r, f}), up to `--`."""
    letters: set[str] = set()
    for arg in args:
        if arg == "--":
            break
        if arg.startswith("-") and not arg.startswith("--") and len(arg) > 1:
            letters.update(arg[1:])
    return letters


def long_flags(args: list[str]) -> set[str]:
    """Long options (`--force`, `--output=x` → `--output`), up to `--`."""
    flags: set[str] = set()
    for arg in args:
        if arg == "--":
            break
        if arg.startswith("--") and len(arg) > 2:
            flags.add(arg.split("=", 1)[0])
    return flags


def shell_script_arg(argv: list[str]) -> str | None:
    """The script of `bash -c 'script'` (also `-lc`, `-ec`, `-o pipefail -c`), else None."""
    if not argv or not is_shell(argv[0]):
        return None
    args = argv[1:]
    if program(argv[0]) == "busybox":
        if not args or not is_shell(args[0]):
            return None
        args = args[1:]
    has_c = False
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg in _SHELL_ARG_OPTS:
            index += 1
        elif arg == "--command" or re.fullmatch(r"[-+][a-zA-Z]+", arg):
            has_c = has_c or "c" in arg
            index += arg[-1] in "oO" and not arg.startswith("--")  # `-euo pipefail`
        elif arg == "--" or not arg.startswith(("-", "+")):
            rest = args[index - 1 :] if arg != "--" else args[index:]
            return rest[0] if has_c and rest else None
    return None


def interpreter_code(argv: list[str]) -> str | None:
    """The inline program of `python -c`, `node -e`, `perl -e`, `ruby -e`, `php -r`, or
    `powershell -Command`; None when the program comes from a file or stdin."""
    if not argv:
        return None
    name = program(argv[0])
    args = argv[1:]
    if name.lower() in ("powershell", "pwsh"):
        for index, arg in enumerate(args):
            if arg.lower() in ("-command", "-c"):
                return " ".join(args[index + 1 :])
        return None
    flags = _code_flags(name)
    if not flags:
        return None
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg in flags:
            return args[index] if index < len(args) else None
        if arg in _INTERPRETER_ARG_OPTS:
            index += 1
        elif arg.startswith("-") and not arg.startswith("--") and len(arg) > 2:
            for position, char in enumerate(arg[1:], start=2):
                if f"-{char}" in flags:
                    attached = arg[position:]
                    return attached or (args[index] if index < len(args) else None)
                if f"-{char}" in _INTERPRETER_ARG_OPTS:
                    break  # `-rsocket`: the rest of the cluster is that option's value
        elif not arg.startswith("-"):
            return None
    return None


_INTERPRETER_ARG_OPTS = frozenset(
    {"-W", "-X", "-r", "--require", "--import", "--loader", "-I", "-M"}
)


def _code_flags(name: str) -> frozenset[str]:
    if is_python(name):
        return frozenset({"-c"})
    if name in _NODE:
        return frozenset({"-e", "--eval", "-p", "--print"})
    if name in _PERL_RUBY:
        return frozenset({"-e", "-E"})
    if name == "php":
        return frozenset({"-r"})
    return frozenset()


def reads_program_from_stdin(argv: list[str]) -> bool:
    """Whether this interpreter would execute what is piped into it (`sh`, `bash -s`,
    `python3 -`, `sudo bash`); `python3 -m json.tool` or `bash script.sh` would not."""
    if not argv:
        return False
    name = program(argv[0])
    args = argv[1:]
    if name.lower() in ("iex", "invoke-expression"):
        return True
    if not is_interpreter(name) or interpreter_code(argv) is not None:
        return False
    if name in SHELLS:
        if shell_script_arg(argv) is not None:
            return False
        if name == "busybox":
            if not args or not is_shell(args[0]):
                return False
            args = args[1:]
        if "s" in short_flags(args):
            return True
        rest = positionals(args, _SHELL_ARG_OPTS)
    else:
        if is_python(name) and any(arg.startswith("-m") for arg in args):
            return False
        rest = positionals(args, _INTERPRETER_ARG_OPTS)
    return not rest or rest[0] == "-"
