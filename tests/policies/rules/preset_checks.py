"""What every rule-preset policy test shares: a context, a tool call, and the checks that each
preset must pass the same way (malformed arguments, too-complex commands, class metadata)."""

from __future__ import annotations

import json
from typing import Any

from policies.base import Policy
from policies.context import PolicyContext
from policies.preset import RulePresetPolicy
from wire.neutral import Request, TextBlock, ToolCallBlock

TOO_COMPLEX_SHELL = "echo " + "$(" * 40 + "ls" + ")" * 40


def make_context() -> PolicyContext:
    """A fresh policy context for one call."""
    return PolicyContext(
        transaction_id="t", request=Request(format="openai", model="m", messages=[])
    )


def make_call(tool: str, arguments: Any) -> ToolCallBlock:
    """A tool call; `arguments` as given when a string, else as JSON."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return ToolCallBlock(id="call_1", name=tool, arguments=text)


async def run_tool_call(policy: RulePresetPolicy, call: ToolCallBlock) -> tuple[Any, PolicyContext]:
    """The policy's answer to `call` and the context it recorded its decisions in."""
    ctx = make_context()
    return await policy.on_tool_call(call, ctx), ctx


async def check_malformed_arguments(
    policy: RulePresetPolicy, tool: str, arguments: str, blocked: bool
) -> None:
    """Arguments that are not what the tool expects never crash the policy: they are blocked
    (with a decision) exactly when what can be salvaged of them is dangerous."""
    result, ctx = await run_tool_call(policy, ToolCallBlock(id="c", name=tool, arguments=arguments))
    assert isinstance(result, TextBlock) is blocked
    assert bool(ctx.decisions) is blocked


async def check_too_complex_is_blocked(policy: RulePresetPolicy, tool: str = "Bash") -> None:
    """A command too deeply nested to analyse is blocked, never waved through."""
    call = make_call(tool, {"command": TOO_COMPLEX_SHELL})
    result, ctx = await run_tool_call(policy, call)
    assert isinstance(result, TextBlock)
    assert ctx.decisions[0].details["rule"] == "too-complex"


def check_preset_metadata(cls: type[Policy], name: str) -> None:
    """Registered name, a description, tool calls held, and a documented, valid example."""
    assert cls.name == name
    assert cls.description
    assert cls.streaming_mode.name == "HOLD_TOOL_CALLS"
    cls.Config.model_validate(cls.example_config)
    for field_name, field in cls.Config.model_fields.items():
        assert field.description, field_name
