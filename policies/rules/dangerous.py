"""Every dangerous-command rule over a parsed script, plus user patterns.

`find_dangers(script, options)` runs the rules of the threat taxonomy (`taxonomy`) on every
simple command (nested ones included), every pipeline and the whole script, and returns the
findings in source order; an uncertain finding is added when decoded (hidden) code is run and
nothing certain was found. A command-level finding's subject is the effective command line
(`rm -rf ~`), with the line as written (`sudo rm -rf ~`) as an alternative; pipeline findings
carry the pipeline line; script findings the whole text.

The rules live by family: `danger_files` (deletes, truncation, disks), `danger_git`,
`danger_data` (databases, containers, cloud), `danger_system` (processes, power, services,
firewall, fork bombs), `danger_security` (permissions, SSH, accounts, persistence, audit),
`danger_network` (exfiltration, reverse shells), `danger_exec` (download/decode and run),
`danger_code` (inline interpreter programs).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator

from policies.rules import danger_data as data
from policies.rules import danger_exec as execs
from policies.rules import danger_files as files
from policies.rules import danger_network as network
from policies.rules import danger_security as security
from policies.rules import danger_system as system
from policies.rules.danger_code import check_code
from policies.rules.danger_git import check_git
from policies.rules.danger_system import DangerOptions
from policies.rules.findings import Finding
from policies.rules.rule_table import RULES
from policies.rules.shell import parse_shell
from policies.rules.shell_model import Script, SimpleCommand

__all__ = ["RULES", "DangerOptions", "find_dangers", "pattern_findings"]

CommandCheck = Callable[[SimpleCommand], Iterable[Finding]]
MAX_TEXT_DEPTH = 3  # decoded or written text analysed inside decoded or written text, …

_COMMAND_CHECKS: tuple[CommandCheck, ...] = (
    files.check_delete,
    files.check_find_delete,
    files.check_move,
    files.check_rsync_delete,
    files.check_truncation,
    files.check_disks,
    files.check_written_files,
    security.check_permissions,
    security.check_capabilities,
    security.check_ssh,
    security.check_accounts,
    security.check_persistence,
    security.check_audit,
    system.check_shutdown,
    system.check_services,
    system.check_firewall,
    data.check_database,
    data.check_containers,
    data.check_cloud,
    network.check_reverse_shell,
    execs.check_run_substitution,
    execs.check_package_url,
)


def find_dangers(script: Script, options: DangerOptions | None = None) -> list[Finding]:
    """All findings of the built-in rules, in source order (empty when the script is fine)."""
    return _find(script, options or DangerOptions(), 0)


def _find(script: Script, options: DangerOptions, depth: int) -> list[Finding]:
    def shell_check(text: str) -> list[Finding]:
        if depth >= MAX_TEXT_DEPTH:
            return []
        return _find(parse_shell(text), options, depth + 1)

    findings: list[Finding] = []
    hidden = _hidden_commands(script)
    for command in script.walk():
        found: list[Finding] = []
        for check in _COMMAND_CHECKS:
            found += check(command)
        found += check_git(
            command,
            block_force_push=options.block_force_push,
            block_discard=options.block_hard_reset,
            protected=options.protected_branches,
        )
        found += system.check_kill(command, options)
        found += check_code(command, shell_check)
        if id(command) in hidden:
            found = [_hidden(f) for f in found]
        findings += [_with_alternatives(f, command) for f in found]
    findings += execs.check_pipelines(script)
    findings += execs.check_download_then_run(script)
    findings += execs.check_powershell(script)
    findings += system.check_kill_pipelines(script, options)
    findings += system.check_fork_bombs(script)
    findings += network.check_exfiltration(script)
    findings += network.check_shell_pipelines(script)
    findings += data.check_sql_pipelines(script)
    findings += security.check_injected_content(script, shell_check)
    if not any(not f.uncertain for f in findings):
        unsure = execs.hidden_code_finding(script)
        if unsure is not None:
            findings.append(unsure)
    return findings


def _hidden_commands(script: Script) -> set[int]:
    """Ids of the commands that came out of decoded text (run by a `decoded` command)."""
    ids: set[int] = set()
    for command in script.walk():
        if command.decoded:
            ids |= {id(inner) for nested in command.nested for inner in nested.walk()}
    return ids


def _hidden(finding: Finding) -> Finding:
    return dataclasses.replace(finding, reason=f"decoded (hidden) code: {finding.reason}")


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
