"""`rate`: at most N destructive-category tool calls per session per time window.

A trajectory rule (`ctx.session`). A call is destructive when a shell command in it falls in
one of `categories` of the threat taxonomy (default: data destruction, as found by the
`block-dangerous-commands` rules) or matches one of `patterns` (default: everyday destructive
commands such as `rm`, `git reset --hard`, `git push --force`, `DROP TABLE`, `kubectl delete`).
Each allowed destructive call is recorded (an `allowed` decision with `rate_counted`); once the
session has `max_calls` of them within `window_s` seconds, further ones are blocked or
escalated. Calls in the same response count in order.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

from pydantic import Field, field_validator

from policies.base import Policy, PolicyConfigSchema, StreamingMode, ToolCallResult
from policies.context import PolicyContext
from policies.registry import register
from policies.rules.dangerous import find_dangers, pattern_findings
from policies.rules.findings import check_regexes, compile_patterns
from policies.rules.shell import parse_shell
from policies.rules.toolcalls import DEFAULT_SHELL_TOOLS, ToolNames, shell_commands
from policies.trajectory import StopAction, stop_call
from wire.neutral import ToolCallBlock

DEFAULT_PATTERNS = (
    r"^(rm|rmdir|shred|unlink)\s",
    r"^git\s+(reset\s+--hard|clean\s|branch\s+-D\b|push\s.*(--force|\s-f\b|--delete|\s:))",
    r"(?i)\b(drop|truncate)\s+(table|database|schema)\b",
    r"^(dropdb|dropuser)\s",
    r"^kubectl\s+delete\b",
    r"^docker\s+(rm|rmi|volume\s+rm|system\s+prune)\b",
    r"^terraform\s+destroy\b",
    r"^find\s.*\s-delete\b",
)


@dataclass(slots=True)
class _Used:
    count: int = 0


@register
class RatePolicy(Policy):
    """Limits destructive tool calls per session and time window."""

    name = "rate"
    description = (
        "Trajectory rule: at most N destructive tool calls (rm, git reset --hard, force "
        "pushes, DROP TABLE, kubectl delete, …) per session per hour; further ones are blocked "
        "or escalated."
    )
    streaming_mode: ClassVar[StreamingMode] = StreamingMode.HOLD_TOOL_CALLS
    needs_session = True
    example_config = {"max_calls": 1, "window_s": 3600, "action": "block"}

    class Config(PolicyConfigSchema):
        """The limit, the window, and what counts as destructive."""

        max_calls: int = Field(
            default=5, ge=0, description="Destructive calls allowed per session and window."
        )
        window_s: int = Field(
            default=3600, ge=1, description="The window in seconds (default one hour)."
        )
        action: StopAction = Field(
            default="block",
            description="What happens to a destructive call over the limit: `block` or `escalate`.",
        )
        categories: list[str] = Field(
            default_factory=lambda: ["data-destruction"],
            description="Threat-taxonomy families or categories that count (e.g. "
            "`data-destruction`, `data-destruction/repository`).",
        )
        patterns: list[str] = Field(
            default_factory=lambda: list(DEFAULT_PATTERNS),
            description="Regular expressions on each simple command's line that count as "
            "destructive.",
        )
        shell_tool_names: list[str] = Field(
            default_factory=lambda: list(DEFAULT_SHELL_TOOLS),
            description="Shell tools whose commands are read.",
        )

        @field_validator("patterns")
        @classmethod
        def _valid_regexes(cls, value: list[str]) -> list[str]:
            return check_regexes(value)

    def __init__(
        self, config: PolicyConfigSchema | None = None, *, label: str | None = None
    ) -> None:
        super().__init__(config, label=label)
        assert isinstance(self.config, RatePolicy.Config)
        self.options: RatePolicy.Config = self.config
        self.patterns = compile_patterns(self.config.patterns)
        self.tools = ToolNames(self.config.shell_tool_names)

    def destructive(self, call: ToolCallBlock) -> str | None:
        """What makes the call destructive (a category or pattern), or None."""
        for text, cwd in shell_commands(call, self.tools):
            script = parse_shell(text, cwd=cwd)
            for finding in find_dangers(script):
                if any(
                    finding.category == c or finding.category.startswith(c + "/")
                    for c in self.options.categories
                ):
                    return f"{finding.category}: {finding.subject}"
            for finding in pattern_findings(script, self.patterns):
                return f"destructive command: {finding.subject}"
        return None

    def used(self, ctx: PolicyContext) -> int:
        """Destructive calls counted in earlier calls of the session within the window."""
        since = time.time() - self.options.window_s
        return sum(
            1
            for event in ctx.session.decisions("allowed", policy=self.label, since=since)
            if event.details.get("rate_counted")
        )

    async def on_tool_call(self, call: ToolCallBlock, ctx: PolicyContext) -> ToolCallResult:
        """Count a destructive call, or stop it when the session used up its allowance."""
        what = self.destructive(call)
        if what is None:
            return call
        state = ctx.state_for(self, _Used)
        used = self.used(ctx) + state.count
        limit = self.options.max_calls
        if used >= limit:
            reason = (
                f"{used} destructive calls in this session within {self.options.window_s} s "
                f"(limit {limit}); this one: {what}"
            )
            return stop_call(self, call, ctx, action=self.options.action, reason=reason)
        state.count += 1
        ctx.decide(self, "allowed", what, tool=call.name, rate_counted=True, used=used + 1)
        return call
