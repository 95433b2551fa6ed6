"""`taint`: once the session touched a secret, network-reaching tool calls are stopped.

A trajectory rule (`ctx.session`). The session is tainted when an earlier tool call named a
secret path (`policies.rules.reads`: SSH private keys, `.env`, cloud credentials, shell
history, plus the config's `paths`) or an earlier tool result printed a secret-looking string
(`policies.rules.secret_strings`, plus `secret_patterns`). Earlier means earlier transactions:
the calls and results of the request's own conversation, and a `tainted` decision this policy
recorded in any earlier call of the session (so the taint survives a compacted conversation
and a change of worker). From then on, for the rest of the session, every tool call that
reaches the network (what `block-web-requests` checks: fetch and browser tools, web search,
shell commands contacting a host outside `allowed_hosts`) is blocked or escalated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pydantic import Field, field_validator

from policies.base import Policy, PolicyConfigSchema, StreamingMode, ToolCallResult
from policies.builtin.block_web_requests import BlockWebRequestsPolicy
from policies.context import PolicyContext
from policies.registry import register
from policies.rules.findings import check_regexes
from policies.rules.globs import GlobSet
from policies.rules.reads import secret_path_in_call
from policies.rules.secret_strings import SecretMatcher
from policies.rules.toolcalls import DEFAULT_SHELL_TOOLS, ToolNames
from policies.trajectory import StopAction, stop_call
from wire.neutral import Request, ToolCallBlock

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(slots=True)
class _Taint:
    reason: str = ""


@register
class TaintPolicy(Policy):
    """After a secret was read or printed in the session, network-reaching calls are stopped."""

    name = "taint"
    description = (
        "Trajectory rule: after a tool call reads a sensitive file (.env, SSH keys, cloud "
        "credentials) or a tool result prints a secret-looking string, network-reaching tool "
        "calls (fetches, web search, curl/wget/ssh/git remotes) are blocked or escalated for "
        "the rest of the session."
    )
    streaming_mode: ClassVar[StreamingMode] = StreamingMode.HOLD_TOOL_CALLS
    needs_session = True
    example_config = {"action": "block", "allowed_hosts": ["localhost", "127.0.0.1"]}

    class Config(PolicyConfigSchema):
        """What taints a session and what happens to network calls afterwards."""

        action: StopAction = Field(
            default="block",
            description="What happens to a network-reaching call in a tainted session: "
            "`block`, or `escalate` (a person approves it).",
        )
        allowed_hosts: list[str] = Field(
            default_factory=lambda: list(LOCAL_HOSTS),
            description="Hosts still reachable after taint (same syntax as "
            "`block-web-requests`); default: this machine only.",
        )
        paths: list[str] = Field(
            default_factory=list,
            description="Extra glob patterns of secret paths whose reading taints the session "
            "(besides SSH keys, .env, cloud credentials, shell history, …).",
        )
        secret_patterns: list[str] = Field(
            default_factory=list,
            description="Extra regular expressions of secrets whose appearance in a tool "
            "result taints the session.",
        )
        shell_tool_names: list[str] = Field(
            default_factory=lambda: list(DEFAULT_SHELL_TOOLS),
            description="Shell tools whose commands are read for secret paths and hosts.",
        )

        @field_validator("secret_patterns")
        @classmethod
        def _valid_regexes(cls, value: list[str]) -> list[str]:
            return check_regexes(value)

    def __init__(
        self, config: PolicyConfigSchema | None = None, *, label: str | None = None
    ) -> None:
        super().__init__(config, label=label)
        assert isinstance(self.config, TaintPolicy.Config)
        self.options: TaintPolicy.Config = self.config
        self.paths = GlobSet(self.config.paths)
        self.secrets = SecretMatcher(self.config.secret_patterns)
        self.shell_tools = ToolNames(self.config.shell_tool_names)
        self.network = BlockWebRequestsPolicy(
            BlockWebRequestsPolicy.Config(
                allowed_hosts=self.config.allowed_hosts,
                block_search=True,
                uncertain="block",
                shell_tool_names=self.config.shell_tool_names,
            ),
            label=f"{self.label}/network",
        )

    def taint_reason(self, ctx: PolicyContext) -> str:
        """Why the session is tainted ("" when it is not), from earlier calls only."""
        session = ctx.session
        earlier = next(session.decisions("tainted", policy=self.label), None)
        if earlier is not None:
            return earlier.reason
        for call in session.tool_calls:
            path = secret_path_in_call(call, self.shell_tools, self.paths)
            if path is not None:
                return f"an earlier {call.name} call read the secret path {path}"
        for result in session.results:
            rule = self.secrets.find(result.text())
            if rule is not None:
                return f"an earlier tool result printed a secret ({rule})"
        return ""

    async def on_request(self, request: Request, ctx: PolicyContext) -> Request:
        """Work out whether the session is tainted; record it once (a `tainted` decision)."""
        reason = self.taint_reason(ctx)
        ctx.state_for(self, _Taint).reason = reason
        if reason and next(ctx.session.decisions("tainted", policy=self.label), None) is None:
            ctx.decide(self, "tainted", reason)
        return request

    async def on_tool_call(self, call: ToolCallBlock, ctx: PolicyContext) -> ToolCallResult:
        """In a tainted session, stop calls that reach the network; pass the rest."""
        taint = ctx.state_for(self, _Taint).reason
        if not taint:
            return call
        finding = self.network.check(call)
        if finding is None:
            return call
        reason = f"the session is tainted ({taint}); {finding.reason}"
        return stop_call(self, call, ctx, action=self.options.action, reason=reason, rule="taint")
