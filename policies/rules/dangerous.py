"""Every dangerous-command rule over a parsed script, plus user patterns.

`find_dangers(script, options)` runs the built-in rules of `danger_files` and `danger_system`
on every simple command (nested ones included), every pipeline and the whole script, and
returns the findings in source order. A command-level finding's subject is the effective
command line (`rm -rf ~`), with the line as written (`sudo rm -rf ~`) as an alternative;
pipeline findings carry the pipeline line; script findings the whole text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator

from policies.rules.danger_files import (
    check_delete,
    check_disks,
    check_find_delete,
    check_move,
    check_permissions,
    check_written_files,
)
from policies.rules.danger_system import (
    DangerOptions,
    check_fork_bombs,
    check_git,
    check_history,
    check_kill,
    check_pipelines,
    check_powershell,
    check_run_substitution,
    check_shutdown,
)
from policies.rules.findings import Finding
from policies.rules.shell_model import Script, SimpleCommand

__all__ = ["RULES", "DangerOptions", "find_dangers", "pattern_findings"]

CommandCheck = Callable[[SimpleCommand], Iterable[Finding]]

_COMMAND_CHECKS: tuple[CommandCheck, ...] = (
    check_delete,
    check_find_delete,
    check_move,
    check_permissions,
    check_disks,
    check_written_files,
    check_shutdown,
    check_history,
    check_run_substitution,
)

#: Every built-in rule id with what it blocks (for docs and the admin).
RULES: dict[str, str] = {
    "rm-root": "recursive delete of / or its whole contents",
    "rm-home": "recursive delete of the home directory (~, $HOME, /home/me) or of /home",
    "rm-home-data": "recursive delete of ~/.ssh, ~/.config, ~/Documents, …; deleting secrets",
    "rm-system": "deleting system directories or files (/etc, /usr, /bin, /var/lib, …)",
    "rm-parent": "recursive delete of a parent of the working directory (.., ../..)",
    "rm-git": "recursive delete of a .git directory",
    "rm-no-preserve-root": "rm --no-preserve-root",
    "find-delete": "find -delete / -exec rm under /, home or system directories",
    "mv-critical": "moving away /, home or a system directory",
    "chmod-recursive": "chmod -R of /, home or system directories",
    "chown-recursive": "chown -R of /, /home or system directories",
    "perm-system-file": "chmod/chown of system files",
    "disk-format": "mkfs and friends on a device, format C:",
    "disk-wipe": "wipefs -a, shred/blkdiscard of devices, diskutil eraseDisk",
    "disk-partition": "fdisk/parted/sgdisk changing a device's partition table",
    "disk-overwrite": "writing to a disk device (dd of=/dev/sda, > /dev/sda)",
    "overwrite-auth": "writing /etc/passwd, /etc/shadow, /etc/sudoers, …",
    "history-wipe": "history -c, unset HISTFILE, overwriting ~/.bash_history",
    "crontab-remove": "crontab -r",
    "shutdown": "shutdown, reboot, halt, poweroff, init 0/6, systemctl poweroff",
    "kill-all": "kill -9 -1, killall5, pkill -u user",
    "kill-gateway": "killing the gateway by name (luthien, uvicorn, daphne) or port",
    "fork-bomb": ":(){ :|:& };: and friends",
    "git-force-push": "git push --force / -f / --force-with-lease / +refspec / --mirror",
    "git-hard-reset": "git reset --hard (only with block_hard_reset)",
    "download-exec": 'curl … | sh, bash <(curl …), sh -c "$(wget -O- …)", iwr … | iex',
    "decode-exec": "base64 -d | sh and similar hidden code",
    "custom-pattern": "a command matching one of the configured `patterns`",
}


def find_dangers(script: Script, options: DangerOptions | None = None) -> list[Finding]:
    """All findings of the built-in rules, in source order (empty when the script is fine)."""
    options = options or DangerOptions()
    findings: list[Finding] = []
    for command in script.walk():
        found: list[Finding] = []
        for check in _COMMAND_CHECKS:
            found += check(command)
        found += check_git(command, options)
        found += check_kill(command, options)
        findings += [_with_alternatives(f, command) for f in found]
    findings += check_pipelines(script, options)
    findings += check_fork_bombs(script)
    findings += check_powershell(script)
    return findings


def pattern_findings(script: Script, patterns: Iterable[re.Pattern[str]]) -> Iterator[Finding]:
    """A `custom-pattern` finding for each simple command whose line (effective or as written)
    contains a match of one of `patterns`."""
    patterns = list(patterns)
    for command in script.walk():
        lines = (command.line, command.raw_line)
        for pattern in patterns:
            if any(pattern.search(line) for line in lines):
                reason = f"matches the blocked pattern {pattern.pattern!r}"
                yield Finding("custom-pattern", reason, command.line, (command.raw_line,))
                break


def _with_alternatives(finding: Finding, command: SimpleCommand) -> Finding:
    extra = tuple(t for t in (command.line, command.raw_line) if t != finding.subject)
    return dataclasses.replace(finding, alternatives=finding.alternatives + extra)
