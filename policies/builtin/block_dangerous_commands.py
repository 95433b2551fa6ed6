"""`block-dangerous-commands`: blocks shell tool calls that would do irreversible damage.

No LLM: each command line is parsed (`policies.rules.shell`) and checked structurally by the
rules in `policies.rules.dangerous`, so `echo "rm -rf /"` or `grep -r "rm -rf" .` pass while
`bash -c "rm -rf $HOME/"` or `cd / && sudo rm -rf *` are blocked.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from gateway.neutral import ToolCallBlock
from policies.base import PolicyConfig
from policies.preset import RulePresetPolicy
from policies.registry import register
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


@register
class BlockDangerousCommandsPolicy(RulePresetPolicy):
    """Blocks destructive shell commands: deleting home, root or system directories, disk
    formatting and wiping, fork bombs, force pushes, `curl … | sh`, permission bombs,
    shutdowns, killing every process or the gateway itself."""

    name = "block-dangerous-commands"
    description = (
        "Block destructive shell commands (rm -rf ~, mkfs, dd to a disk, fork bombs, "
        "git push --force, curl | sh, chmod -R 777 /, shutdown, …) by parsing them; no LLM."
    )
    example_config = {
        "patterns": [r"^terraform\s+destroy\b", r"^kubectl\s+delete\s+(ns|namespace)\b"],
        "allow": [r"^rm -rf /tmp/"],
        "block_force_push": True,
        "block_hard_reset": False,
    }

    class Config(PolicyConfig):
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
            description="Block `git push --force`, `-f`, `--force-with-lease`, `+refspec` and "
            "`--mirror` to any remote.",
        )
        block_hard_reset: bool = Field(
            default=True,
            description="Block commands that discard uncommitted work: `git reset --hard`, "
            "`git checkout -- .` / `-f`, `git restore .`, `git clean -f` of the whole tree, "
            "`git stash clear` (one named file is always fine).",
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

    def __init__(self, config: PolicyConfig | None = None, *, label: str | None = None) -> None:
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
