"""Dangerous-command rules about the system and the repository: force pushes, running code
fetched from the internet, killing every process or the gateway, shutting down, fork bombs,
wiping shell history and cron jobs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from policies.rules.findings import Finding
from policies.rules.programs import (
    interpreter_code,
    is_interpreter,
    is_shell,
    long_flags,
    positionals,
    reads_program_from_stdin,
    shell_script_arg,
    short_flags,
    words,
)
from policies.rules.shell import parse_shell
from policies.rules.shell_model import Pipeline, Script, SimpleCommand

DOWNLOADERS = words(
    "curl wget fetch http https httpie xh xhs aria2c lwp-request GET lynx w3m links iwr irm "
    "invoke-webrequest invoke-restmethod nc ncat netcat socat"
)
_NETWORK_CODE = re.compile(
    r"urlopen|urllib|requests\.(?:get|post)|httpx|http\.client|\bfetch\(|Net::HTTP|open-uri|"
    r"LWP::|DownloadString|WebClient",
    re.IGNORECASE,
)
_GIT_GLOBAL_ARG_OPTS = frozenset(
    {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--super-prefix", "--config-env"}
)
_FORCE_FLAGS = frozenset({"--force", "--force-with-lease", "--force-if-includes", "--mirror"})
_SHUTDOWN_UNITS = words(
    "poweroff reboot halt kexec suspend hibernate hybrid-sleep suspend-then-hibernate"
)
_FORK_CODE = re.compile(
    r"fork\s+while\s+fork|while\s*\(?\s*(?:1|true|True)\s*\)?\s*:?\s*\{?\s*(?:os\.)?fork\(\)"
    r"|for\s*\(\s*;\s*;\s*\)\s*\{?\s*fork\(\)"
)
_POWERSHELL_DOWNLOAD_EXEC = re.compile(
    r"\b(?:iex|invoke-expression)\b.*\b(?:iwr|irm|invoke-webrequest|invoke-restmethod|"
    r"downloadstring)\b|\b(?:iwr|irm|invoke-webrequest|invoke-restmethod)\b.*\|\s*(?:iex|"
    r"invoke-expression)\b",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class DangerOptions:
    """The configurable parts of the dangerous-command rules."""

    block_force_push: bool = True
    block_hard_reset: bool = False
    protected_processes: tuple[str, ...] = ("luthien", "uvicorn", "daphne", "gunicorn")
    protected_ports: tuple[int, ...] = (8000,)

    def mentions_gateway(self, text: str) -> bool:
        """Whether `text` names a protected process or port (`uvicorn`, `-i:8000`)."""
        low = text.lower()
        if any(name.lower() in low for name in self.protected_processes if name):
            return True
        return any(
            re.search(rf"(?:^|[\s:=]){port}(?:/(?:tcp|udp))?(?=[\s)]|$)", low)
            for port in self.protected_ports
        )


def is_downloader(command: SimpleCommand) -> bool:
    """Whether the command fetches data from the network (curl, wget, `python -c urlopen…`)."""
    if command.name.lower() in DOWNLOADERS or command.name in DOWNLOADERS:
        return True
    code = interpreter_code(command.argv)
    return bool(code and _NETWORK_CODE.search(code))


def is_decoder(command: SimpleCommand) -> bool:
    """Whether the command decodes hidden data (`base64 -d`, `xxd -r`, `openssl enc -d`)."""
    name, args = command.name, command.args
    if name in ("base64", "gbase64"):
        return bool({"d", "D"} & short_flags(args)) or "--decode" in args
    if name == "xxd":
        return "r" in short_flags(args)
    return name == "openssl" and bool(args) and args[0] in ("enc", "base64") and "-d" in args


def check_git(command: SimpleCommand, options: DangerOptions) -> Iterator[Finding]:
    """`git push --force` / `-f` / `--force-with-lease` / `+ref` / `--mirror` to any remote;
    `git reset --hard` only when `block_hard_reset` is on."""
    if command.name != "git":
        return
    subcommand, rest = _git_subcommand(command.args)
    if subcommand == "push" and options.block_force_push and _is_force_push(rest):
        yield Finding("git-force-push", "force push rewrites the remote branch", command.line)
    if subcommand == "reset" and options.block_hard_reset and "--hard" in rest:
        yield Finding("git-hard-reset", "git reset --hard discards uncommitted work", command.line)


def _git_subcommand(args: list[str]) -> tuple[str, list[str]]:
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in _GIT_GLOBAL_ARG_OPTS:
            index += 2
        elif arg.startswith("-"):
            index += 1
        else:
            return arg, args[index + 1 :]
    return "", []


def _is_force_push(args: list[str]) -> bool:
    if long_flags(args) & _FORCE_FLAGS:
        return True
    if any(re.fullmatch(r"-[a-zA-Z46]*f[a-zA-Z46]*", a) for a in args):
        return True
    refspecs = positionals(args, {"-o", "--push-option", "--repo", "--receive-pack", "--exec"})
    return any(ref.startswith("+") for ref in refspecs[1:])


def check_pipelines(script: Script, options: DangerOptions) -> Iterator[Finding]:
    """`curl … | sh`, `base64 -d | bash`, `lsof -ti:8000 | xargs kill`."""
    for pipeline in script.walk_pipelines():
        downloaded = decoded = gateway = False  # what the earlier stages do
        for index, stage in enumerate(pipeline.stages):
            if index and isinstance(stage, SimpleCommand):
                yield from _pipe_receiver(stage, pipeline, downloaded, decoded, gateway)
            for command in pipeline.stage_commands(index):
                downloaded = downloaded or is_downloader(command)
                decoded = decoded or is_decoder(command)
                gateway = gateway or options.mentions_gateway(command.raw_line)


def _pipe_receiver(
    stage: SimpleCommand, pipeline: Pipeline, downloaded: bool, decoded: bool, gateway: bool
) -> Iterator[Finding]:
    if (downloaded or decoded) and reads_program_from_stdin(stage.argv):
        if downloaded:
            reason = f"pipes a download into {stage.name} (runs code from the internet)"
            yield Finding("download-exec", reason, pipeline.line)
        else:
            reason = f"pipes decoded data into {stage.name} (runs hidden code)"
            yield Finding("decode-exec", reason, pipeline.line)
    if gateway and stage.name in ("kill", "pkill"):
        yield Finding("kill-gateway", "kills the Luthien gateway", pipeline.line)


def check_run_substitution(command: SimpleCommand) -> Iterator[Finding]:
    """`bash <(curl …)`, `sh -c "$(wget -O- …)"`, `eval "$(curl …)"`, `source <(curl …)`."""
    text = _program_text(command)
    if not text or not any(mark in text for mark in ("$(", "`", "<(")):
        return
    inner = list(parse_shell(text).walk())
    if any(is_downloader(c) for c in inner):
        reason = f"{command.name} runs a script fetched from the internet"
        yield Finding("download-exec", reason, command.raw_line)
    elif any(is_decoder(c) for c in inner):
        yield Finding("decode-exec", f"{command.name} runs decoded (hidden) code", command.raw_line)


def _program_text(command: SimpleCommand) -> str | None:
    """The text an interpreter runs as its program (its `-c` script, script file or stdin)."""
    argv, name = command.argv, command.name
    if name.lower() in ("eval", "source", ".", "iex", "invoke-expression"):
        return " ".join(argv[1:])
    if not is_interpreter(name):
        return None
    stdin = [r.target for r in command.redirects if r.op == "<" and r.target.startswith("<(")]
    script = shell_script_arg(argv) if is_shell(name) else interpreter_code(argv)
    if script is None:
        rest = positionals(argv[1:], {"-o", "+o", "-O", "-W", "-X"})
        script = rest[0] if rest else None
    return " ".join(filter(None, [script, *stdin])) or None


def check_kill(command: SimpleCommand, options: DangerOptions) -> Iterator[Finding]:
    """`kill -9 -1`, `killall5`; killing the gateway by name or port."""
    name, args, line = command.name, command.args, command.line
    if name == "killall5" or (name == "kill" and "-1" in _kill_pids(args)):
        yield Finding("kill-all", "kills every process", line)
    elif name == "kill" and any(options.mentions_gateway(_text(s)) for s in command.substitutions):
        yield Finding("kill-gateway", "kills the Luthien gateway", command.raw_line)
    elif name in ("pkill", "killall"):
        opts = {"-s", "-u", "-U", "-g", "-G", "-P", "-t", "-F", "-o", "-y", "-Z", "--signal"}
        patterns = positionals(args, opts | {"--user", "--parent", "--pidfile", "--older-than"})
        if not patterns and ("-u" in args or "--user" in args):
            yield Finding("kill-all", "kills every process of a user", line)
        if any(options.mentions_gateway(p) for p in patterns):
            yield Finding("kill-gateway", "kills the Luthien gateway", line)
        elif any(re.fullmatch(r"python[0-9.]*", p) for p in patterns):
            reason = "kills every Python process, the Luthien gateway included"
            yield Finding("kill-gateway", reason, line)
    elif ((name == "fuser" and "k" in short_flags(args)) or "kill-port" in args[:1]) and (
        options.mentions_gateway(" " + " ".join(args))
    ):
        yield Finding("kill-gateway", "kills the Luthien gateway", line)


def _text(script: Script) -> str:
    return " ".join(c.raw_line for c in script.walk())


def _kill_pids(args: list[str]) -> list[str]:
    pids: list[str] = []
    signal_seen = False
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            return pids + args[index:]
        if arg in ("-l", "-L", "--list", "--table"):
            return []
        if arg in ("-s", "-n", "--signal"):
            index += 1
            signal_seen = True
        elif arg.startswith("-") and not signal_seen and not pids:
            signal_seen = True
        else:
            pids.append(arg)
    return pids


def check_shutdown(command: SimpleCommand) -> Iterator[Finding]:
    """`shutdown`, `reboot`, `halt`, `poweroff`, `init 0`, `systemctl poweroff`, …"""
    name, args = command.name, command.args
    words = positionals(args)
    if (
        (name in ("shutdown", "reboot", "halt", "poweroff") and not {"-c", "/a"} & set(args))
        or (name in ("init", "telinit") and words[:1] in (["0"], ["6"]))
        or (name == "systemctl" and bool(words) and words[0] in _SHUTDOWN_UNITS)
        or name.lower() in ("stop-computer", "restart-computer")
    ):
        yield Finding("shutdown", "shuts down or restarts the machine", command.line)


def check_history(command: SimpleCommand) -> Iterator[Finding]:
    """`history -c`, `unset HISTFILE`, `HISTFILE=/dev/null`, `set +o history`, `crontab -r`."""
    name, args = command.name, command.args
    values = dict(command.assignments)
    if name in ("export", "declare", "typeset"):
        values |= dict(a.split("=", 1) for a in args if "=" in a)
    wipes = (
        (name == "history" and "c" in short_flags(args))
        or (name == "unset" and "HISTFILE" in args)
        or (name == "set" and args[:2] == ["+o", "history"])
        or values.get("HISTFILE") == "/dev/null"
        or values.get("HISTSIZE") == "0"
    )
    if wipes:
        yield Finding("history-wipe", "wipes or disables the shell history", command.raw_line)
    if name == "crontab" and "r" in short_flags(args):
        yield Finding("crontab-remove", "deletes every cron job (crontab -r)", command.line)


def check_fork_bombs(script: Script) -> Iterator[Finding]:
    """Functions that call themselves twice or in the background (`:(){ :|:& };:`), and
    fork loops in inline Perl/Python/C code."""
    for function in script.functions():
        calls = [c for c in function.body.walk() if c.argv[:1] == [function.name]]
        background = any(
            p.background and any(isinstance(s, SimpleCommand) and s.argv[:1] == [function.name]
                                 for s in p.stages)
            for p in function.body.walk_pipelines()
        )  # fmt: skip
        if len(calls) >= 2 or background:
            yield Finding("fork-bomb", "fork bomb", script.source or f"{function.name}()")
    for command in script.walk():
        code = interpreter_code(command.argv)
        if code and _FORK_CODE.search(code):
            yield Finding("fork-bomb", "fork bomb", command.raw_line)


def check_powershell(script: Script) -> Iterator[Finding]:
    """`iex (iwr …)`, `iwr … | iex`, `IEX (New-Object Net.WebClient).DownloadString(…)`."""
    names = {c.name.lower() for c in script.walk()}
    if names & _POWERSHELL_NAMES and _POWERSHELL_DOWNLOAD_EXEC.search(script.source):
        yield Finding("download-exec", "runs a script fetched from the internet", script.source)


_POWERSHELL_NAMES = words(
    "iex invoke-expression powershell pwsh iwr irm invoke-webrequest invoke-restmethod"
)
