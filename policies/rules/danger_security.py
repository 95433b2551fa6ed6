"""Security weakening and persistence: permissions widened, setuid, SSH keys and sshd, accounts
and sudo, cron and autostart entries, dangerous text written into shell profiles and git hooks,
history, logs and security controls switched off. Each `check_*` takes one simple command;
`check_injected_content` looks at whole pipelines (`echo … | tee -a ~/.bashrc`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator

from policies.rules.danger_files import AUTH_FILES, critical_target, resolve
from policies.rules.findings import Finding
from policies.rules.paths import inside
from policies.rules.programs import long_flags, positionals, short_flags, words
from policies.rules.secrets import SECRET_DIRS, is_secret_path
from policies.rules.sensitive import is_shell_profile
from policies.rules.shell_model import Script, SimpleCommand
from policies.rules.shell_normalise import source_text, stream_text
from policies.rules.writes import written_paths

_PERMISSION_KINDS = {
    # (program, recursive) -> kinds that are blocked whatever the mode
    ("chmod", True): {"root", "home", "homes", "top", "system"},
    ("chown", True): {"root", "homes", "top", "system"},
    ("chown", False): {"root", "top", "system"},
}
_OCTAL = re.compile(r"^[0-7]{3,4}$")
_SYMBOLIC = re.compile(r"^([ugoa]*)([-+=])([rwxXstugo]*)$")
_RUNTIME_DIRS = ("/var/run", "/run", "/dev")
PRIVILEGED_GROUPS = words("sudo wheel admin root docker adm lxd libvirt disk shadow")
_CRON_PATHS = (
    "/etc/cron.d", "/etc/crontab", "/var/spool/cron", "/etc/cron.hourly", "/etc/cron.daily",
    "/etc/cron.weekly", "/etc/cron.monthly", "/etc/anacrontab",
)  # fmt: skip
_AUTOSTART_PATHS = (
    "/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system",
    "~/.config/systemd", "~/Library/LaunchAgents", "/Library/LaunchAgents",
    "/Library/LaunchDaemons", "~/.config/autostart", "/etc/init.d", "/etc/rc.local",
    "/etc/xdg/autostart",
)  # fmt: skip
_HOOK = re.compile(
    r"(?:PROMPT_COMMAND=|precmd|preexec|trap\b.*\bDEBUG\b).*\b(?:curl|wget|nc|ncat|socat|ssh|"
    r"scp|http|python3?|node)\b|\balias\s+(?:sudo|su|ssh|git|passwd)=",
    re.DOTALL,
)
_METADATA_ONLY = frozenset({"chmod", "chown", "chgrp", "touch", "chattr"})
_ENFORCE_FILES = frozenset({"/sys/fs/selinux/enforce", "/selinux/enforce"})
_DEFENCES = {
    "setenforce": ("0", "permissive"),
    "spctl": ("--master-disable", "--global-disable", "--disable"),
    "csrutil": ("disable",),
    "auditctl": ("-D", "-e"),
    "aa-teardown": (),
}

ShellCheck = Callable[[str], list[Finding]]


def _mode_bits(mode: str) -> tuple[bool, bool, bool]:
    """(grants group/other write, grants group/other any access, sets setuid) for a mode."""
    if _OCTAL.match(mode):
        digits = mode.rjust(4, "0")
        group, other, special = int(digits[2]), int(digits[3]), int(digits[0])
        return bool((group | other) & 2), bool(group or other), bool(special & 4)
    write = access = setuid = False
    for clause in mode.split(","):
        match = _SYMBOLIC.match(clause)
        if not match or match.group(2) == "-":
            continue
        who, perms = match.group(1) or "a", match.group(3)
        others = bool(set(who) & set("goa"))
        write = write or (others and "w" in perms)
        access = access or (others and bool(set(perms) & set("rwx")))
        setuid = setuid or ("s" in perms and bool(set(who) & set("ua")))
    return write, access, setuid


def check_permissions(command: SimpleCommand) -> Iterator[Finding]:
    """`chmod -R 777 /`, `chmod 666 /etc/shadow`, `chmod 644 ~/.ssh/id_rsa`, `chmod u+s
    /bin/bash`, `chmod 777 /var/run/docker.sock`, `chown -R` of system directories; modes that
    do not widen access (`chmod 644 /etc/app.conf`, `chmod 600 ~/.ssh/id_rsa`) are fine."""
    name, args = command.name, command.args
    if name not in ("chmod", "chown", "chgrp"):
        return
    recursive = "R" in short_flags(args) or "--recursive" in long_flags(args)
    family = "chmod" if name == "chmod" else "chown"
    modes = positionals(args)[:1] if name == "chmod" else []
    widens, opens, setuid = _mode_bits(modes[0]) if modes else (False, False, False)
    owner = (positionals(args)[:1] or [""])[0] if name != "chmod" else ""
    to_root = owner.split(":")[0].split(".")[0] in ("root", "0") and not recursive
    for path in written_paths(command):
        resolved = resolve(command, path)
        target = critical_target(resolved)
        kind = target.kind if target else ""
        if target and kind in _PERMISSION_KINDS.get((family, recursive), ()) and not to_root:
            rule = f"{family}-recursive" if recursive else "perm-system-file"
            text = "recursive " if recursive else ""
            yield Finding(rule, f"{text}{name} of {target.text}", command.line)
        elif name == "chmod" and setuid:
            yield Finding("setuid", f"sets the setuid bit on {resolved}", command.line)
        elif name == "chmod" and target and kind in ("root", "top", "system") and widens:
            yield Finding("perm-system-file", f"opens {target.text} to other users", command.line)
        elif name == "chmod" and _secret_opened(resolved, widens, opens):
            yield Finding("perm-secret", f"opens {resolved} to other users", command.line)
        elif name == "chmod" and widens and resolved.startswith(_RUNTIME_DIRS):
            yield Finding("world-writable", f"makes {resolved} writable by anyone", command.line)


def _secret_opened(path: str, widens: bool, opens: bool) -> bool:
    if path.rstrip("/") in SECRET_DIRS:
        return widens
    return is_secret_path(path) and opens


def check_capabilities(command: SimpleCommand) -> Iterator[Finding]:
    """`setcap cap_setuid+ep /usr/bin/python3`: file capabilities that grant root powers."""
    if command.name == "setcap" and not {"r", "v"} & short_flags(command.args):
        yield Finding("capabilities", "grants file capabilities", command.line)


def content_writes(command: SimpleCommand) -> list[str]:
    """Files whose content `command` writes (not just their mode or owner)."""
    if command.name in _METADATA_ONLY:
        return [r.target for r in command.redirects if r.writes and r.target]
    return written_paths(command)


def check_ssh(command: SimpleCommand) -> Iterator[Finding]:
    """Writes to `authorized_keys` (anyone's) and to sshd's configuration."""
    for target in content_writes(command):
        path = resolve(command, target)
        name = posixpath.basename(path)
        if name in ("authorized_keys", "authorized_keys2"):
            yield Finding("authorized-keys", f"adds or replaces SSH login keys ({path})",
                          command.raw_line)  # fmt: skip
        elif path == "/etc/ssh/sshd_config" or inside(path, "/etc/ssh/sshd_config.d"):
            yield Finding("sshd-config", "changes the SSH server's configuration",
                          command.raw_line)  # fmt: skip


def check_accounts(command: SimpleCommand) -> Iterator[Finding]:
    """Passwords set or removed, users created, users added to privileged groups."""
    name, args = command.name, command.args
    reason = _account_change(name, args)
    if reason:
        yield Finding("account-change", reason, command.line)
    for target in content_writes(command):
        path = resolve(command, target)
        if any(inside(path, f) for f in AUTH_FILES) or inside(path, "/etc/sudoers.d"):
            yield Finding("overwrite-auth", f"writes the system account file {path}",
                          command.raw_line)  # fmt: skip


def _account_change(name: str, args: list[str]) -> str | None:
    words_ = positionals(args, {"-g", "-G", "-s", "-d", "-c", "-u", "-p", "-e", "-f", "-k"})
    groups = {g for a in _values(args, ("-G", "--groups")) for g in a.split(",")}
    if name == "chpasswd":
        return "sets account passwords"
    if name == "visudo" and not {"c", "q"} & short_flags(args):
        return "edits the sudoers file"
    changes = words_ or {"d", "u"} & short_flags(args) or "--delete" in args
    if name == "passwd" and not {"-S", "--status"} & set(args) and changes:
        return "changes or removes an account's password"
    if name == "usermod":
        if groups & PRIVILEGED_GROUPS or _values(args, ("-p", "--password")):
            return "gives an account privileges or a new password"
        if "0" in _values(args, ("-u", "--uid")) or "-o" in args:
            return "gives an account root's user id"
    if name in ("useradd", "adduser", "sysadminctl", "dscl") or (
        name == "net" and args[:1] == ["user"] and "/add" in [a.lower() for a in args]
    ):
        return "creates or changes a user account"
    if name == "gpasswd" and {"-a", "--add", "-M"} & set(args) and set(words_) & PRIVILEGED_GROUPS:
        return "adds a user to a privileged group"
    return None


def _values(args: list[str], names: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for index, arg in enumerate(args):
        if arg in names and index + 1 < len(args):
            out.append(args[index + 1])
        elif arg.startswith("-aG") or (arg.startswith("-") and arg.endswith("G") and len(arg) > 2):
            if "-G" in names and index + 1 < len(args):
                out.append(args[index + 1])
        elif "=" in arg and arg.split("=", 1)[0] in names:
            out.append(arg.split("=", 1)[1])
    return out


def check_persistence(command: SimpleCommand) -> Iterator[Finding]:
    """Cron jobs installed (`… | crontab -`, `crontab file`, writes to /etc/cron.d) or all
    removed (`crontab -r`); services, launch agents and autostart entries written."""
    name, args = command.name, command.args
    if name == "crontab":
        flags = short_flags(args)
        if "r" in flags:
            yield Finding("crontab-remove", "deletes every cron job (crontab -r)", command.line)
        elif not flags & {"l", "e"} and (positionals(args, {"-u"}) or "-" in args):
            yield Finding("cron-install", "installs cron jobs", command.raw_line)
    for target in content_writes(command):
        path = resolve(command, target)
        if any(inside(path, tree) for tree in _CRON_PATHS):
            yield Finding("cron-install", f"writes the cron table {path}", command.raw_line)
        elif any(inside(path, tree) for tree in _AUTOSTART_PATHS):
            yield Finding("autostart", f"installs something that starts by itself ({path})",
                          command.raw_line)  # fmt: skip


def check_injected_content(script: Script, shell_check: ShellCheck) -> Iterator[Finding]:
    """Text written into a shell profile or git hook (run later, automatically) is analysed
    like a command: `echo 'curl … | sh' >> ~/.bashrc` is blocked, `export PATH=…` is not."""
    for pipeline in script.walk_pipelines():
        stages = [s if isinstance(s, SimpleCommand) else None for s in pipeline.stages]
        for index, stage in enumerate(stages):
            if stage is None:
                continue
            targets = [resolve(stage, p) for p in written_paths(stage)]
            targets = [p for p in targets if is_shell_profile(p) or "/hooks/" in f"/{p}"]
            if not targets:
                continue
            before = [s for s in stages[:index] if s is not None]
            output = stream_text(before) if stage.name == "tee" else source_text(stage)
            if output is None:
                continue
            found = [f for f in shell_check(output.text) if not f.uncertain]
            if found:
                reason = f"writes `{found[0].reason}` into {targets[0]}, where it runs by itself"
                yield Finding("profile-inject", reason, stage.raw_line)
            elif _HOOK.search(output.text):
                reason = f"hooks every prompt or command in {targets[0]} (network call or alias)"
                yield Finding("profile-inject", reason, stage.raw_line)


def check_audit(command: SimpleCommand) -> Iterator[Finding]:
    """History switched off or cleared, system logs vacuumed, security controls disabled."""
    name, args = command.name, command.args
    values = dict(command.assignments)
    if name in ("export", "declare", "typeset"):
        values |= dict(a.split("=", 1) for a in args if "=" in a)
    if (
        (name == "history" and "c" in short_flags(args))
        or (name == "unset" and "HISTFILE" in args)
        or (name == "set" and args[:2] == ["+o", "history"])
        or values.get("HISTFILE") == "/dev/null"
        or values.get("HISTSIZE") == "0"
    ):
        yield Finding("history-wipe", "wipes or disables the shell history", command.raw_line)
    if name == "journalctl" and _tiny_vacuum(args):
        yield Finding("log-wipe", "deletes the system journal", command.line)
    disabling = _DEFENCES.get(name)
    if disabling is not None and (not disabling or set(a.lower() for a in args) & set(disabling)):
        yield Finding("defence-off", f"switches off a security control ({name})", command.line)
    if any(resolve(command, p) in _ENFORCE_FILES for p in written_paths(command)):
        yield Finding("defence-off", "switches SELinux to permissive", command.raw_line)
    if name.lower() == "set-mppreference" and any("disable" in a.lower() for a in args):
        yield Finding("defence-off", "switches off Windows Defender", command.line)


def _tiny_vacuum(args: list[str]) -> bool:
    for arg in args:
        key, _, value = arg.partition("=")
        if key == "--vacuum-time" and re.fullmatch(r"\d+\s*(?:s|sec|m|min|h|us|ms)?", value):
            return True
        if key == "--vacuum-size" and re.fullmatch(r"\d+[KM]?", value):
            return not value.endswith("M") or int(value[:-1]) < 100
        if key == "--vacuum-files" and value in ("0", "1"):
            return True
    return False
