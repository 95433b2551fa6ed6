"""Uncertain calls: blocked, allowed or sent to the embedded judge, as each preset's config says
(default: the judge when one is configured, otherwise block); saved configs still load."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import ValidationError

from policies.builtin.block_dangerous_commands import BlockDangerousCommandsPolicy
from policies.builtin.block_sensitive_file_writes import BlockSensitiveFileWritesPolicy
from policies.builtin.block_web_requests import BlockWebRequestsPolicy
from policies.builtin.tool_judge import ToolJudgePolicy
from policies.judge_client import close_judge_client
from policies.preset import RulePresetPolicy
from tests.policies.rules.preset_checks import TOO_COMPLEX_SHELL, make_context
from wire.neutral import TextBlock, ToolCallBlock

PRESETS = [BlockDangerousCommandsPolicy, BlockSensitiveFileWritesPolicy, BlockWebRequestsPolicy]
UNPARSEABLE = "echo 'this quote is never closed"


@pytest.fixture(autouse=True)
async def _close_judge() -> AsyncIterator[None]:
    yield
    await close_judge_client()


def bash(command: str) -> ToolCallBlock:
    return ToolCallBlock(id="c1", name="Bash", arguments=json.dumps({"command": command}))


def build(cls: type[RulePresetPolicy], config: dict[str, Any]) -> RulePresetPolicy:
    policy = cls.from_config(config)
    assert isinstance(policy, RulePresetPolicy)
    return policy


def actions(ctx: Any) -> list[tuple[str, str]]:
    return [(d.policy, d.action) for d in ctx.decisions]


@pytest.mark.parametrize("cls", PRESETS)
@pytest.mark.parametrize("command", [UNPARSEABLE, TOO_COMPLEX_SHELL])
async def test_uncertain_is_blocked_by_default(cls: type[RulePresetPolicy], command: str) -> None:
    ctx = make_context()
    result = await build(cls, {}).on_tool_call(bash(command), ctx)
    assert isinstance(result, TextBlock)
    [decision] = ctx.decisions
    assert decision.action == "blocked"
    assert decision.details["uncertain"] is True
    assert decision.details["category"] == "uncertain"
    assert decision.reason.startswith("uncertain: ")


@pytest.mark.parametrize("cls", PRESETS)
async def test_uncertain_can_be_allowed(cls: type[RulePresetPolicy]) -> None:
    ctx = make_context()
    call = bash(UNPARSEABLE)
    assert await build(cls, {"uncertain": "allow"}).on_tool_call(call, ctx) is call
    [decision] = ctx.decisions
    assert (decision.action, decision.details["rule"]) == ("allowed", "unparseable")


@pytest.mark.parametrize("cls", PRESETS)
@pytest.mark.parametrize(("p", "blocked"), [(0.9, True), (0.1, False)])
async def test_a_configured_judge_decides_by_default(
    cls: type[RulePresetPolicy], p: float, blocked: bool
) -> None:
    policy = build(cls, {"judge": {"model": f"judge?p={p}"}})
    ctx = make_context()
    call = bash(UNPARSEABLE)
    result = await policy.on_tool_call(call, ctx)
    assert isinstance(result, TextBlock) is blocked
    label = cls.name
    judged = "blocked" if blocked else "allowed"
    assert actions(ctx) == [(label, "uncertain"), (f"{label}/judge", judged)]
    assert ctx.decisions[0].details["sent_to"] == "judge"


async def test_certain_findings_never_reach_the_judge() -> None:
    policy = build(BlockDangerousCommandsPolicy, {"judge": {"model": "judge?p=0.0"}})
    ctx = make_context()
    result = await policy.on_tool_call(bash("rm -rf ~"), ctx)
    assert isinstance(result, TextBlock)
    assert actions(ctx) == [("block-dangerous-commands", "blocked")]


async def test_judge_can_be_configured_but_uncertain_still_blocked() -> None:
    policy = build(
        BlockDangerousCommandsPolicy, {"uncertain": "block", "judge": {"model": "judge?p=0.0"}}
    )
    ctx = make_context()
    assert isinstance(await policy.on_tool_call(bash(UNPARSEABLE), ctx), TextBlock)
    assert actions(ctx) == [("block-dangerous-commands", "blocked")]


async def test_judge_failure_fails_closed_unless_the_judge_fails_open() -> None:
    closed = build(BlockDangerousCommandsPolicy, {"judge": {"model": "error?status=500"}})
    ctx = make_context()
    assert isinstance(await closed.on_tool_call(bash(UNPARSEABLE), ctx), TextBlock)
    assert actions(ctx)[-1] == ("block-dangerous-commands/judge", "error")
    opened = build(
        BlockDangerousCommandsPolicy,
        {"judge": {"model": "error?status=500", "fail_open": True}},
    )
    call = bash(UNPARSEABLE)
    assert await opened.on_tool_call(call, make_context()) is call


def test_judge_is_told_why_the_preset_was_unsure() -> None:
    judge = ToolJudgePolicy()
    note = "uncertain: it does not parse"
    message = judge.judge_message(bash("x"), make_context(), note=note)
    assert message.endswith(f"A rule-based check could not decide on this call: {note}")
    assert "could not decide" not in judge.judge_message(bash("x"), make_context())


@pytest.mark.parametrize("cls", PRESETS)
def test_uncertain_judge_needs_a_judge(cls: type[RulePresetPolicy]) -> None:
    with pytest.raises(ValidationError, match="needs a `judge` config"):
        cls.Config.model_validate({"uncertain": "judge"})
    with pytest.raises(ValidationError):
        cls.Config.model_validate({"uncertain": "maybe"})
    with pytest.raises(ValidationError):
        cls.Config.model_validate({"judge": {"threshold": 2}})


@pytest.mark.parametrize(
    ("cls", "saved"),
    [
        (
            BlockDangerousCommandsPolicy,
            {
                "patterns": [r"^terraform\s+destroy\b"],
                "allow": [r"^rm -rf /tmp/"],
                "block_force_push": True,
                "block_hard_reset": False,
                "protected_processes": ["luthien"],
                "protected_ports": [8000],
                "tool_names": ["Bash"],
                "fail_open": False,
            },
        ),
        (BlockSensitiveFileWritesPolicy, {"patterns": ["*.tfstate"], "allow": [".env.test"]}),
        (BlockWebRequestsPolicy, {"allowed_hosts": ["pypi.org"], "block_search": True}),
    ],
)
def test_configs_saved_before_the_rebuild_still_load(
    cls: type[RulePresetPolicy], saved: dict[str, Any]
) -> None:
    config = cls.Config.model_validate(saved)
    assert config.uncertain_action == "block"  # type: ignore[attr-defined]
