"""System and availability: processes killed broadly (or the gateway), shutdowns, critical
services and network links stopped, the firewall removed, fork bombs.

`pkill -f "my-dev-server"` and `kill $(lsof -ti:3000)` name one process; `pkill node`,
`pkill -f python`, `kill -9 -1` and `ps aux | awk '{print $2}' | xargs kill` kill every process
of a runtime, a user or the machine (the user's editor and the gateway included).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from policies.rules.danger_files import resolve
from policies.rules.danger_git import DEFAULT_PROTECTED_BRANCHES
from policies.rules.findings import Finding
from policies.rules.programs import interpreter_code, positionals, short_flags, words
from policies.rules.shell_model import Script, SimpleCommand
from policies.rules.writes import written_paths

_SHUTDOWN_UNITS = words(
    "poweroff reboot halt kexec suspend hibernate hybrid-sleep suspend-then-hibernate"
)
_FORK_CODE = re.compile(
    r"fork\s+while\s+fork|while\s*\(?\s*(?:1|true|True)\s*\)?\s*:?\s*\{?\s*(?:os\.)?fork\(\)"
    r"|for\s*\(\s*;\s*;\s*\)\s*\{?\s*fork\(\)"
)
BROAD_PROCESSES = words(
    "node nodejs java ruby perl php bash sh zsh fish dotnet electron chrome chromium firefox "
    "code Code sshd systemd init dockerd containerd Xorg gnome-shell WindowServer Finder "
    "explorer explorer.exe svchost launchd login . .* ^ .+"
)
CRITICAL_UNITS = words(
    "ssh sshd networking network NetworkManager systemd-networkd systemd-resolved "
    "wpa_supplicant dbus docker containerd kubelet"
)
FIREWALL_UNITS = words("firewalld ufw nftables iptables ip6tables netfilter-persistent pf")
DEFENCE_UNITS = words("auditd apparmor falcon-sensor osqueryd clamav-daemon wazuh-agent")
_STOPPING = words("stop disable mask kill")
_PID_LISTERS = words("ps pgrep pidof")
_FILTERS = words("grep egrep fgrep rg ag")


@dataclass(frozen=True, slots=True)
class DangerOptions:
    """The configurable parts of the dangerous-command rules."""

    block_force_push: bool = True
    block_hard_reset: bool = True
    protected_processes: tuple[str, ...] = ("luthien", "uvicorn", "daphne", "gunicorn")
    protected_ports: tuple[int, ...] = (8000,)
    protected_branches: tuple[str, ...] = DEFAULT_PROTECTED_BRANCHES

    def mentions_gateway(self, text: str) -> bool:
        """Whether `text` names a protected process or port (`uvicorn`, `-i:8000`)."""
        low = text.lower()
        if any(name.lower() in low for name in self.protected_processes if name):
            return True
        return any(
            re.search(rf"(?:^|[\s:=]){port}(?:/(?:tcp|udp))?(?=[\s)]|$)", low)
            for port in self.protected_ports
        )


def check_kill(command: SimpleCommand, options: DangerOptions) -> Iterator[Finding]:
    """`kill -9 -1`, `killall5`; killing the gateway by name or port."""
    name, args, line = command.name, command.args, command.line
    if name == "killall5" or (name == "kill" and "-1" in _kill_pids(args)):
        yield Finding("kill-all", "kills every process", line)
    elif name == "kill" and any(options.mentions_gateway(_text(s)) for s in command.substitutions):
        yield Finding("kill-gateway", "kills the Luthien gateway", command.raw_line)
    elif name == "kill" and ("1" in _kill_pids(args) or _lists_every_process(command)):
        yield Finding("kill-all", "kills every process (or init)", command.raw_line)
    elif name in ("pkill", "killall"):
        opts = {"-s", "-u", "-U", "-g", "-G", "-P", "-t", "-F", "-o", "-y", "-Z", "--signal"}
        patterns = positionals(args, opts | {"--user", "--parent", "--pidfile", "--older-than"})
        if not patterns and ("-u" in args or "--user" in args):
            yield Finding("kill-all", "kills every process of a user", line)
        if any(options.mentions_gateway(p) and _only_names(p) for p in patterns):
            yield Finding("kill-gateway", "kills the Luthien gateway", line)
        elif any(re.fullmatch(r"python[0-9.]*", p) for p in patterns):
            reason = "kills every Python process, the Luthien gateway included"
            yield Finding("kill-gateway", reason, line)
        elif any(p in BROAD_PROCESSES for p in patterns):
            reason = f"kills every {patterns[0]} process, not one named process"
            yield Finding("kill-broad", reason, line)
    elif ((name == "fuser" and "k" in short_flags(args)) or "kill-port" in args[:1]) and (
        options.mentions_gateway(" " + " ".join(args))
    ):
        yield Finding("kill-gateway", "kills the Luthien gateway", line)


def _only_names(pattern: str) -> bool:
    """A pkill pattern that is a bare process name (`uvicorn`) or names Luthien, rather than
    one app run by that server (`gunicorn myproject.wsgi`)."""
    return len(pattern.split()) == 1 or "luthien" in pattern.lower()


def _lists_every_process(command: SimpleCommand) -> bool:
    """`kill $(ps -e -o pid=)`, `kill $(pgrep -u "$USER")`: the pids of every process."""
    return any(_unfiltered_listing(list(script.walk())) for script in command.substitutions)


def _unfiltered_listing(commands: list[SimpleCommand]) -> bool:
    names = [c.name for c in commands]
    if any(n in _FILTERS for n in names):
        return False
    for command in commands:
        if command.name == "ps":
            return True
        if command.name == "pgrep":
            patterns = positionals(command.args, {"-u", "-U", "-g", "-G", "-P", "-t", "-s"})
            return not patterns or patterns[0] in BROAD_PROCESSES
    return False


def check_kill_pipelines(script: Script, options: DangerOptions) -> Iterator[Finding]:
    """`ps aux | awk '{print $2}' | xargs kill -9` (every process), `lsof -ti:8000 | xargs
    kill` (the gateway's port)."""
    for pipeline in script.walk_pipelines():
        stages = [s for s in pipeline.stages if isinstance(s, SimpleCommand)]
        for index, stage in enumerate(stages):
            if stage.name not in ("kill", "pkill") or not index:
                continue
            before = stages[:index]
            if any(options.mentions_gateway(c.raw_line) for c in before):
                yield Finding("kill-gateway", "kills the Luthien gateway", pipeline.line)
            elif "xargs" in stage.wrappers and _unfiltered_listing(before):
                yield Finding("kill-all", "kills every process listed by ps", pipeline.line)


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
        or any(resolve(command, p) == "/proc/sysrq-trigger" for p in written_paths(command))
    ):
        yield Finding("shutdown", "shuts down or restarts the machine", command.line)


def check_services(command: SimpleCommand) -> Iterator[Finding]:
    """Stopping, disabling or masking sshd, networking, Docker, the firewall or audit daemons;
    taking network links down."""
    name, args, line = command.name, command.args, command.line
    units: list[str] = []
    if name in ("systemctl", "rc-service", "service"):
        words_ = positionals(args)
        if name == "systemctl" and words_[:1] and words_[0] in _STOPPING:
            units = words_[1:]
        elif name != "systemctl" and len(words_) >= 2 and words_[1] in _STOPPING:
            units = words_[:1]
    elif name == "launchctl" and args[:1] and args[0] in ("unload", "bootout", "disable"):
        units = ["sshd"] if any("ssh" in a for a in args) else []
    for unit in (re.sub(r"\.(?:service|socket|target)$", "", u) for u in units):
        if unit in FIREWALL_UNITS:
            yield Finding("firewall-off", f"stops the firewall ({unit})", line)
        elif unit in DEFENCE_UNITS:
            yield Finding("defence-off", f"stops a security service ({unit})", line)
        elif unit in CRITICAL_UNITS:
            yield Finding("service-stop", f"stops a critical service ({unit})", line)
    if _takes_network_down(name, args):
        yield Finding("network-down", "takes the network down", line)


_SSH_PORTS = frozenset({"22", "22/tcp", "ssh", "openssh"})
_SELECTORS = words(
    "-s --source -d --destination -p --protocol -i --in-interface -o --out-interface "
    "-m --match --dport --sport"
)


def _drops_everything(args: list[str]) -> bool:
    """`iptables -I INPUT -j DROP`: a DROP/REJECT rule with nothing to select packets."""
    inserts = bool({"-I", "-A", "--insert", "--append"} & set(args))
    target = next((args[i + 1] for i, a in enumerate(args[:-1]) if a in ("-j", "--jump")), "")
    chain = next((args[i + 1] for i, a in enumerate(args[:-1]) if a in ("-I", "-A")), "")
    return (
        inserts
        and target in ("DROP", "REJECT")
        and chain in ("INPUT", "OUTPUT")
        and not _SELECTORS & set(args)
    )


def _takes_network_down(name: str, args: list[str]) -> bool:
    if name == "ip":
        return "link" in args[:1] and "set" in args and "down" in args
    if name == "ifconfig":
        return args[-1:] == ["down"]
    if name == "ifdown":
        return True
    if name == "nmcli":
        return args[:2] == ["networking", "off"] or args[:3] == ["radio", "all", "off"]
    return False


def check_firewall(command: SimpleCommand) -> Iterator[Finding]:
    """`iptables -F`, `iptables -P INPUT DROP`, `ufw disable/reset`, `ufw default allow`,
    `nft flush ruleset`, `netsh advfirewall … state off`, `pfctl -d`."""
    name, args, line = command.name, command.args, command.line
    lower = [a.lower() for a in args]
    flushes = bool({"F", "P"} & short_flags(args)) or "--flush" in args or "--policy" in args
    flushes = flushes or _drops_everything(args)
    if (
        (name in ("iptables", "ip6tables") and flushes)
        or (name == "ufw" and ("disable" in lower[:1] or "reset" in lower
                               or lower[:2] == ["default", "allow"]
                               or (lower[:1] in (["deny"], ["reject"])
                                   and set(lower[1:]) & _SSH_PORTS)))
        or (name == "nft" and lower[:2] in (["flush", "ruleset"], ["delete", "table"]))
        or (name == "netsh" and "advfirewall" in lower and "off" in lower)
        or (name == "pfctl" and ("d" in short_flags(args) or "-F" in args))
    ):  # fmt: skip
        yield Finding("firewall-off", "removes or disables the firewall", line)


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
