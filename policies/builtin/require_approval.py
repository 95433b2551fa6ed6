"""`require-approval`: hold chosen tool calls until a human approves, denies or edits them.

A call is escalated when its tool name is listed (`tools`, glob patterns), when its arguments
match one of `argument_patterns` (regular expressions, searched in every string value of the
arguments and in their JSON text), or when one of the rule presets (`block-dangerous-commands`,
`block-web-requests`, `block-sensitive-file-writes`, default settings) finds something in a
listed threat category (`categories`: `family` or `family/category` ids of
`policies.rules.taxonomy`). Other calls pass without a decision. The held call waits in the
approval queue (`/approvals/`, the admin API); `approval_timeout_s` and `approval_default` say
how long and what then.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import Field, field_validator

from policies.approvals.options import ApprovalOptions
from policies.base import Policy, PolicyConfigSchema, StreamingMode, ToolCallResult
from policies.context import PolicyContext
from policies.registry import register
from policies.rules.findings import Finding
from policies.rules.taxonomy import CATEGORIES, FAMILIES
from wire.neutral import ToolCallBlock


@register
class RequireApprovalPolicy(Policy):
    """Escalates tool calls by name, argument pattern or threat category to a human."""

    name = "require-approval"
    description = (
        "Hold chosen tool calls (by name, argument pattern or threat category) until a human "
        "approves, denies or edits them on /approvals/."
    )
    streaming_mode: ClassVar[StreamingMode] = StreamingMode.HOLD_TOOL_CALLS
    example_config = {
        "tools": ["Bash"],
        "argument_patterns": [r"git\s+push\b.*--force"],
        "categories": ["data-destruction"],
        "approval_timeout_s": 300,
        "approval_default": "deny",
    }

    class Config(ApprovalOptions):
        tools: list[str] = Field(
            default_factory=list,
            description="Tool names that always need approval; `*` and `?` glob patterns "
            "allowed (`mcp__github__*`). Case-sensitive, as tools are named.",
        )
        argument_patterns: list[str] = Field(
            default_factory=list,
            description="Regular expressions (Python syntax, case-insensitive) searched in "
            "every string value of a call's arguments and in the arguments' JSON text.",
        )
        categories: list[str] = Field(
            default_factory=list,
            description="Threat categories of the rule presets that need approval: a family "
            "(`data-destruction`, `exfiltration`, …) or one category "
            "(`data-destruction/repository`); `uncertain` for calls the rules cannot analyse.",
        )

        @field_validator("argument_patterns")
        @classmethod
        def _compiles(cls, patterns: list[str]) -> list[str]:
            for pattern in patterns:
                try:
                    re.compile(pattern)
                except re.error as error:
                    raise ValueError(f"invalid regular expression {pattern!r}: {error}") from None
            return patterns

        @field_validator("categories")
        @classmethod
        def _known(cls, categories: list[str]) -> list[str]:
            known = set(CATEGORIES) | set(FAMILIES)
            unknown = [c for c in categories if c not in known]
            if unknown:
                raise ValueError(f"unknown categories: {', '.join(unknown)}")
            return categories

    def __init__(
        self, config: PolicyConfigSchema | None = None, *, label: str | None = None
    ) -> None:
        super().__init__(config, label=label)
        assert isinstance(self.config, RequireApprovalPolicy.Config)
        self.options: RequireApprovalPolicy.Config = self.config
        self.patterns = [re.compile(p, re.IGNORECASE) for p in self.options.argument_patterns]
        self.presets = _presets() if self.options.categories else []

    async def on_tool_call(self, call: ToolCallBlock, ctx: PolicyContext) -> ToolCallResult:
        """Escalate `call` when a configured rule matches it, else pass it unchanged."""
        reason = self.reason_for(call)
        if reason is None:
            return call
        return self.options.escalation(call, reason)

    def reason_for(self, call: ToolCallBlock) -> str | None:
        """Why `call` needs approval (the first matching rule), or None."""
        if any(fnmatch.fnmatchcase(call.name, name) for name in self.options.tools):
            return f"the tool {call.name} needs approval"
        if self.patterns:
            texts = [call.arguments, *_strings(call.parsed_arguments())]
            for pattern in self.patterns:
                if any(pattern.search(text) for text in texts):
                    return f"the arguments match {pattern.pattern!r}"
        for preset in self.presets:
            finding = _finding(preset, call)
            if finding is not None and self._listed(finding.category):
                return finding.message
        return None

    def _listed(self, category: str) -> bool:
        family = category.split("/", 1)[0]
        return category in self.options.categories or family in self.options.categories


def _presets() -> list[Any]:
    """The three rule presets with default settings (their `check` finds categories)."""
    from policies.registry import registry

    names = ("block-dangerous-commands", "block-sensitive-file-writes", "block-web-requests")
    return [registry().get(name)() for name in names]


def _finding(preset: Any, call: ToolCallBlock) -> Finding | None:
    finding: Finding | None = preset.check(call)
    return finding


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a parsed JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
