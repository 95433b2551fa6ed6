"""`tool-judge` against the mock judge, served in-process (no network)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pydantic import ValidationError

from policies.base import StreamingMode
from policies.builtin.tool_judge import ToolJudgePolicy
from policies.context import PolicyContext
from policies.judge_client import close_judge_client
from policies.registry import registry
from wire.neutral import Message, Request, TextBlock, ToolCallBlock

RM_HOME = ToolCallBlock(id="call_1", name="Bash", arguments='{"command": "rm -rf ~"}')
LIST_FILES = ToolCallBlock(id="call_2", name="Bash", arguments='{"command": "ls -la"}')


@pytest.fixture(autouse=True)
async def _close_judge() -> AsyncIterator[None]:
    yield
    await close_judge_client()


def make_ctx(text: str = "please tidy up my project") -> PolicyContext:
    request = Request(format="openai", model="m", messages=[Message("user", [TextBlock(text)])])
    return PolicyContext(transaction_id="t", request=request)


def make_policy(**config: object) -> ToolJudgePolicy:
    policy = ToolJudgePolicy.from_config(config)
    assert isinstance(policy, ToolJudgePolicy)
    return policy


def decisions(ctx: PolicyContext) -> list[tuple[str, dict[str, object]]]:
    return [(d.action, d.details) for d in ctx.decisions]


async def test_harmless_call_is_allowed() -> None:
    ctx = make_ctx()
    assert await make_policy().on_tool_call(LIST_FILES, ctx) is LIST_FILES
    assert decisions(ctx) == [
        ("allowed", {"tool": "Bash", "probability": 0.05, "threshold": 0.6}),
    ]


async def test_dangerous_call_is_replaced_by_the_design_notice() -> None:
    ctx = make_ctx()
    result = await make_policy().on_tool_call(RM_HOME, ctx)
    assert result == TextBlock(
        text=(
            '⛔ Luthien blocked a tool call (policy "tool-judge").\n'
            "Tool: Bash\n"
            "Reason: Clearly dangerous: matched rm -rf. (risk 0.95, threshold 0.60)\n"
            "Arguments:\n"
            "{\n"
            '  "command": "rm -rf ~"\n'
            "}\n"
        )
    )
    assert decisions(ctx) == [
        ("blocked", {"tool": "Bash", "probability": 0.95, "threshold": 0.6}),
    ]
    assert ctx.decisions[0].reason == "Clearly dangerous: matched rm -rf."
    assert ctx.blocked


@pytest.mark.parametrize(("p", "blocked"), [(0.59, False), (0.6, True), (0.61, True)])
async def test_threshold_is_inclusive(p: float, blocked: bool) -> None:
    ctx = make_ctx()
    result = await make_policy(model=f"judge?p={p}").on_tool_call(LIST_FILES, ctx)
    assert isinstance(result, TextBlock) is blocked
    assert ctx.decisions[0].action == ("blocked" if blocked else "allowed")


async def test_label_names_the_policy_in_the_notice() -> None:
    policy = ToolJudgePolicy.from_config({}, label="prod-judge")
    result = await policy.on_tool_call(RM_HOME, make_ctx())
    assert isinstance(result, TextBlock)
    assert result.text.startswith('⛔ Luthien blocked a tool call (policy "prod-judge").\n')


async def test_fenced_and_prose_replies_work() -> None:
    for mode in ("fenced", "prose", "string"):
        result = await make_policy(model=f"judge?mode={mode}").on_tool_call(RM_HOME, make_ctx())
        assert isinstance(result, TextBlock), mode


@pytest.mark.parametrize(
    ("model", "timeout_s", "kind", "reason"),
    [
        (
            "judge?mode=garbage",
            15.0,
            "reply",
            'judge reply has no JSON object with a "probability"',
        ),
        ("error?status=500", 15.0, "http", "judge returned HTTP 500: "),
        ("judge?ttfb_ms=3000", 0.05, "timeout", "judge timed out after 0.05s"),
    ],
)
async def test_judge_failure_fails_closed(
    model: str, timeout_s: float, kind: str, reason: str
) -> None:
    ctx = make_ctx()
    result = await make_policy(model=model, timeout_s=timeout_s).on_tool_call(LIST_FILES, ctx)
    assert isinstance(result, TextBlock)
    lines = result.text.splitlines()
    assert lines[0] == (
        '⛔ Luthien withheld a tool call (policy "tool-judge"): the judge that checks it '
        "failed, so the call was not passed on."
    )
    assert lines[1] == "Tool: Bash"
    assert lines[2].startswith(f"Reason: {reason}")
    assert lines[3:] == ["Arguments:", "{", '  "command": "ls -la"', "}"]
    (decision,) = ctx.decisions
    assert decision.action == "error"
    assert decision.details == {"tool": "Bash", "kind": kind, "fail_open": False}
    assert decision.reason.startswith(reason)


@pytest.mark.parametrize(
    ("model", "timeout_s"),
    [("judge?mode=garbage", 15.0), ("error?status=500", 15.0), ("judge?ttfb_ms=3000", 0.05)],
)
async def test_judge_failure_fail_open_allows(model: str, timeout_s: float) -> None:
    ctx = make_ctx()
    policy = make_policy(model=model, timeout_s=timeout_s, fail_open=True)
    assert await policy.on_tool_call(RM_HOME, ctx) is RM_HOME
    (decision,) = ctx.decisions
    assert decision.action == "error"
    assert decision.details["fail_open"] is True


async def test_concurrent_calls_share_one_instance() -> None:
    policy = make_policy()
    ctx = make_ctx()
    results = await asyncio.gather(*(policy.on_tool_call(c, ctx) for c in (RM_HOME, LIST_FILES)))
    assert isinstance(results[0], TextBlock)
    assert results[1] is LIST_FILES


def test_judge_message_fills_the_template() -> None:
    template = '{tool_name} | {arguments} | {user_request} | {"literal": 1}'
    message = make_policy(message_template=template).judge_message(LIST_FILES, make_ctx("ls"))
    assert message == 'Bash | {\n  "command": "ls -la"\n} | ls | {"literal": 1}'


def test_judge_message_default_mentions_the_call_and_request() -> None:
    message = make_policy().judge_message(LIST_FILES, make_ctx("list my files"))
    assert "list my files" in message
    assert "`Bash`" in message
    assert '"command": "ls -la"' in message


@pytest.mark.parametrize(
    "config",
    [
        {"message_template": "{tool_name} {args}"},
        {"message_template": "{tool_name} only"},
        {"threshold": 1.2},
        {"threshold": -0.5},
        {"instructions": ""},
        {"timeout_s": -1},
    ],
)
def test_invalid_config(config: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ToolJudgePolicy.Config.model_validate(config)


def test_registered_and_holds_tool_calls() -> None:
    assert registry().get("tool-judge") is ToolJudgePolicy
    ToolJudgePolicy.Config.model_validate(ToolJudgePolicy.example_config)
    assert make_policy().mode is StreamingMode.HOLD_TOOL_CALLS
    for name, field in ToolJudgePolicy.Config.model_fields.items():
        assert field.description, name
