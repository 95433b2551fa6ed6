"""`block-dangerous-commands`: blocks shell tool calls that would do irreversible damage.

No LLM: each command line is parsed and normalised (`policies.rules.shell`: wrappers peeled,
literal variables and constant substitutions expanded, decoded text and inline interpreter code
analysed) and checked by the rules of the threat taxonomy (`policies.rules.dangerous`), so
`echo "rm -rf /"` or `grep -r "rm -rf" .` pass while `X=rm; $X -rf ~`, `bash -c "rm -rf
$HOME/"` or `cd / && sudo rm -rf *` are blocked. Every reason names its category; calls the
rules cannot decide are `uncertain` (see `policies.preset`).
"""

from __future__ import annotations

from pydantic import Field, field_validator

from policies.base import PolicyConfigSchema
from policies.preset import PresetConfig, RulePresetPolicy
from policies.registry import register
from policies.rules.danger_git import DEFAULT_PROTECTED_BRANCHES
from policies.rules.dangerous import DangerOptions, find_dangers, pattern_findings
from policies.rules.findings import (
    Finding,
    check_regexes,
    compile_patterns,
    first_unallowed,
    incomplete_finding,
)
from policies.rules.shell import parse_shell
from policies.rules.toolcalls import DEFAULT_SHELL_TOOLS, ToolNames, shell_commands
from wire.neutral import ToolCallBlock


@register
class BlockDangerousCommandsPolicy(RulePresetPolicy):
    """Blocks dangerous shell commands by category: data destruction (files, repositories,
    databases, containers, cloud), system availability, security weakening and persistence,
    credential exfiltration and reverse shells, remote code execution."""

    name = "block-dangerous-commands"
    description = (
        "Block dangerous shell commands by threat category (rm -rf ~, DROP DATABASE, "
        "git push --force to main, docker volume rm, curl | sh, secrets uploaded, reverse "
        "shells, chmod -R 777 /, …) by parsing them; an optional judge for uncertain calls."
    )
    example_config = {
        "patterns": [r"^terraform\s+destroy\b", r"^kubectl\s+delete\s+(ns|namespace)\b"],
        "allow": [r"^rm -rf /tmp/"],
        "block_force_push": True,
        "block_hard_reset": False,
    }

    class Config(PresetConfig):
        """Extra patterns, exceptions and switches for the built-in rules."""

        patterns: list[str] = Field(
            default_factory=list,
            description="Extra regular expressions; a simple command whose line (words joined "
            "by spaces, quotes removed; with or without wrappers such as `sudo`) contains a "
            "match is blocked, e.g. `^terraform\\s+destroy\\b`.",
        )
        allow: list[str] = Field(
            default_factory=list,
            description="Regular expressions for exceptions: a finding is dropped when one is "
            "found in the simple command it is about (for `curl | sh`: the pipeline line).",
        )
        block_force_push: bool = Field(
            default=True,
            description="Block force pushes (`--force`, `-f`, `--force-with-lease`, `+refspec`) "
            "that rewrite a `protected_branches` branch, `--mirror`/`--all` force pushes, and "
            "a bare `git push --force` without a lease. Named feature branches are fine.",
        )
        block_hard_reset: bool = Field(
            default=True,
            description="Block commands that discard uncommitted work: `git reset --hard`, "
            "`git checkout -- .` / `-f`, `git restore .`, `git clean -f` of the whole tree, "
            "`git stash clear` (one named file is always fine).",
        )
        protected_branches: list[str] = Field(
            default_factory=lambda: list(DEFAULT_PROTECTED_BRANCHES),
            description="Branches a force push may never rewrite nor a push delete (globs "
            "allowed, e.g. `release/*`); force pushes to other named branches are fine.",
        )
        protected_processes: list[str] = Field(
            default_factory=lambda: ["luthien", "uvicorn", "daphne", "gunicorn"],
            description="Process names that `pkill`/`killall`/`kill $(pgrep …)` may not target "
            "(the gateway's own server).",
        )
        protected_ports: list[int] = Field(
            default_factory=lambda: [8000],
            description="Ports whose process may not be killed (`fuser -k 8000/tcp`, "
            "`lsof -ti:8000 | xargs kill`): the gateway's port.",
        )
        tool_names: list[str] = Field(
            default_factory=lambda: list(DEFAULT_SHELL_TOOLS),
            description="Shell tools, matched case-insensitively (also as the last part of "
            "`mcp__server__tool`). Tools with a `command`/`cmd` string or an `argv` list are "
            "checked whatever their name.",
        )

        @field_validator("patterns", "allow")
        @classmethod
        def _valid_regexes(cls, value: list[str]) -> list[str]:
            return check_regexes(value)

    def __init__(
        self, config: PolicyConfigSchema | None = None, *, label: str | None = None
    ) -> None:
        super().__init__(config, label=label)
        assert isinstance(self.config, BlockDangerousCommandsPolicy.Config)
        self.patterns = compile_patterns(self.config.patterns)
        self.allow = compile_patterns(self.config.allow)
        self.tools = ToolNames(self.config.tool_names)
        self.options = DangerOptions(
            block_force_push=self.config.block_force_push,
            block_hard_reset=self.config.block_hard_reset,
            protected_processes=tuple(self.config.protected_processes),
            protected_ports=tuple(self.config.protected_ports),
            protected_branches=tuple(self.config.protected_branches),
        )

    def check(self, call: ToolCallBlock) -> Finding | None:
        """The first finding no `allow` pattern covers, over every command in the call."""
        for text, cwd in shell_commands(call, self.tools):
            script = parse_shell(text, cwd=cwd)
            findings = [
                *filter(None, [incomplete_finding(script)]),
                *find_dangers(script, self.options),
                *pattern_findings(script, self.patterns),
            ]
            finding = first_unallowed(findings, self.allow)
            if finding is not None:
                return finding
        return None
