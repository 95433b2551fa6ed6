"""`rules-judge` against the mock judge, served in-process (no network)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import ValidationError

from policies.base import Refusal, StreamingMode
from policies.builtin.rules_judge import RulesJudgePolicy
from policies.context import PolicyContext
from policies.judge_client import close_judge_client
from policies.registry import registry
from wire.neutral import Message, Request, TextBlock, ToolCallBlock, ToolResultBlock

RULE = "Never destroy data."
RM_HOME = ToolCallBlock(id="call_1", name="Bash", arguments='{"command": "rm -rf ~"}')
LIST_FILES = ToolCallBlock(id="call_2", name="Bash", arguments='{"command": "ls"}')


@pytest.fixture(autouse=True)
async def _close_judge() -> AsyncIterator[None]:
    yield
    await close_judge_client()


def make_ctx(text: str = "please tidy up my project", system: str | None = None) -> PolicyContext:
    request = Request(
        format="openai",
        model="m",
        messages=[Message("user", [TextBlock(text)])],
        system=[TextBlock(system)] if system else None,
    )
    return PolicyContext(transaction_id="t", request=request)


def make_policy(**config: object) -> RulesJudgePolicy:
    config.setdefault("rules", [RULE])
    policy = RulesJudgePolicy.from_config(config)
    assert isinstance(policy, RulesJudgePolicy)
    return policy


# --- the request -------------------------------------------------------------------------------


async def test_request_breaking_a_rule_is_refused_naming_the_rule() -> None:
    ctx = make_ctx("run rm -rf / on the build server")
    result = await make_policy().on_request(ctx.request, ctx)
    assert result == Refusal(
        '⛔ Luthien refused this request (policy "rules-judge").\n'
        f"Rule: {RULE}\n"
        "Reason: Clearly dangerous: matched rm -rf. (risk 0.95, threshold 0.60)\n"
    )
    (decision,) = ctx.decisions
    assert (decision.action, decision.details) == (
        "blocked",
        {"target": "request", "rule": RULE, "probability": 0.95, "threshold": 0.6},
    )


async def test_harmless_request_passes_and_is_recorded() -> None:
    ctx = make_ctx()
    assert await make_policy().on_request(ctx.request, ctx) is ctx.request
    assert [d.action for d in ctx.decisions] == ["allowed"]


async def test_a_turn_of_tool_results_is_not_judged_again() -> None:
    request = Request(
        format="openai",
        model="m",
        messages=[
            Message("user", [TextBlock("run rm -rf / please")]),
            Message("assistant", [LIST_FILES]),
            Message("tool", [ToolResultBlock("call_2", "a b c")]),
        ],
    )
    ctx = PolicyContext(transaction_id="t", request=request)
    assert await make_policy().on_request(request, ctx) is request
    assert ctx.decisions == []


async def test_text_a_client_appends_after_the_prompt_is_judged_with_it() -> None:
    """Claude Code ends `messages` with a system message after the user's: still the request."""
    for role in ("system", "developer", "future-role"):
        request = Request(
            format="anthropic",
            model="m",
            messages=[
                Message("user", [TextBlock("hello")]),
                Message("assistant", [TextBlock("hi")]),
                Message("user", [TextBlock("please tidy up")]),
                Message(role, [TextBlock("also run rm -rf / now")]),
            ],
        )
        ctx = PolicyContext(transaction_id="t", request=request)
        assert isinstance(await make_policy().on_request(request, ctx), Refusal), role


async def test_a_system_message_before_the_prompt_is_the_system_prompt_not_the_request() -> None:
    request = Request(
        format="openai",
        model="m",
        messages=[
            Message("system", [TextBlock("Always end with DROP TABLE users;")]),
            Message("user", [TextBlock("hello")]),
        ],
    )
    ctx = PolicyContext(transaction_id="t", request=request)
    assert await make_policy().on_request(request, ctx) is request
    assert [d.action for d in ctx.decisions] == ["allowed"]


async def test_system_prompt_is_sent_only_when_asked() -> None:
    for include, expected in ((False, "allowed"), (True, "blocked")):
        ctx = make_ctx("hello", system="Always end with DROP TABLE users;")
        policy = make_policy(include_system_prompt=include)
        result = await policy.on_request(ctx.request, ctx)
        assert isinstance(result, Refusal) is include
        assert ctx.decisions[0].action == expected


async def test_request_judge_failure_fails_closed_or_open() -> None:
    ctx = make_ctx()
    result = await make_policy(model="error?status=500").on_request(ctx.request, ctx)
    assert isinstance(result, Refusal)
    assert result.message.startswith(
        '⛔ Luthien could not check this request (policy "rules-judge"): the judge that checks '
        "it failed, so nothing unchecked was sent.\nReason: judge returned HTTP 500: "
    )
    assert ctx.decisions[0].action == "error"
    assert ctx.decisions[0].details["target"] == "request"

    ctx = make_ctx()
    policy = make_policy(model="judge?mode=garbage", fail_open=True)
    assert await policy.on_request(ctx.request, ctx) is ctx.request
    assert ctx.decisions[0].details["fail_open"] is True


# --- tool calls --------------------------------------------------------------------------------


async def test_tool_call_breaking_a_rule_is_blocked() -> None:
    ctx = make_ctx()
    result = await make_policy().on_tool_call(RM_HOME, ctx)
    assert isinstance(result, TextBlock)
    assert result.text.splitlines() == [
        '⛔ Luthien blocked a tool call (policy "rules-judge").',
        "Tool: Bash",
        f'Reason: breaks the rule "{RULE}": Clearly dangerous: matched rm -rf. '
        "(risk 0.95, threshold 0.60)",
        "Arguments:",
        "{",
        '  "command": "rm -rf ~"',
        "}",
    ]
    (decision,) = ctx.decisions
    assert decision.action == "blocked"
    assert decision.details == {
        "target": "tool_call",
        "tool": "Bash",
        "rule": RULE,
        "probability": 0.95,
        "threshold": 0.6,
    }


async def test_harmless_tool_call_is_allowed() -> None:
    ctx = make_ctx()
    assert await make_policy().on_tool_call(LIST_FILES, ctx) is LIST_FILES
    assert [d.action for d in ctx.decisions] == ["allowed"]


async def test_tool_call_judge_timeout_fails_closed_or_open() -> None:
    ctx = make_ctx()
    policy = make_policy(model="judge?ttfb_ms=3000", timeout_s=0.05)
    result = await policy.on_tool_call(LIST_FILES, ctx)
    assert isinstance(result, TextBlock)
    assert "Reason: judge timed out after 0.05s" in result.text
    assert ctx.decisions[0].action == "error"

    ctx = make_ctx()
    policy = make_policy(model="judge?ttfb_ms=3000", timeout_s=0.05, fail_open=True)
    assert await policy.on_tool_call(RM_HOME, ctx) is RM_HOME


# --- reply text --------------------------------------------------------------------------------


async def test_reply_text_breaking_a_rule_is_replaced() -> None:
    policy = make_policy(check_response_text=True)
    assert policy.mode is StreamingMode.HOLD_TEXT_BLOCKS
    ctx = make_ctx()
    result = await policy.process_text_block(TextBlock("Sure: DROP TABLE users;"), ctx)
    assert result == TextBlock(
        '⛔ Luthien withheld a reply (policy "rules-judge").\n'
        f"Rule: {RULE}\n"
        "Reason: Clearly dangerous: matched DROP TABLE. (risk 0.95, threshold 0.60)\n"
    )
    assert ctx.decisions[0].details["target"] == "reply"


async def test_harmless_reply_text_passes() -> None:
    block = TextBlock("Here is your summary.")
    ctx = make_ctx()
    assert await make_policy(check_response_text=True).on_text_block(block, ctx) is block
    assert [d.action for d in ctx.decisions] == ["allowed"]


async def test_reply_judge_failure_fails_closed() -> None:
    policy = make_policy(check_response_text=True, model="judge?mode=garbage")
    result = await policy.on_text_block(TextBlock("hi"), make_ctx())
    assert isinstance(result, TextBlock)
    assert result.text.startswith('⛔ Luthien withheld a reply (policy "rules-judge"): ')


# --- disabled checks ---------------------------------------------------------------------------


async def test_disabled_checks_do_nothing() -> None:
    policy = make_policy(check_request=False, check_tool_calls=False, check_response_text=False)
    assert policy.mode is StreamingMode.PASS_THROUGH
    ctx = make_ctx("run rm -rf / now")
    block = TextBlock("DROP TABLE users;")
    assert await policy.on_request(ctx.request, ctx) is ctx.request
    assert await policy.on_tool_call(RM_HOME, ctx) is RM_HOME
    assert await policy.on_text_block(block, ctx) is block
    assert ctx.decisions == []


async def test_no_rules_checks_nothing() -> None:
    policy = RulesJudgePolicy.from_config({"check_response_text": True})
    assert policy.mode is StreamingMode.PASS_THROUGH
    ctx = make_ctx("run rm -rf / now")
    assert await policy.on_request(ctx.request, ctx) is ctx.request
    assert await policy.on_tool_call(RM_HOME, ctx) is RM_HOME
    assert ctx.decisions == []


def test_mode_follows_the_config() -> None:
    assert make_policy().mode is StreamingMode.HOLD_TOOL_CALLS
    assert make_policy(check_tool_calls=False).mode is StreamingMode.PASS_THROUGH
    assert make_policy(check_response_text=True).mode is StreamingMode.HOLD_TEXT_BLOCKS


# --- naming rules, prompt, config --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2, "Rule two."),
        ("1", "Rule one."),
        (" 2 ", "Rule two."),
        ("Rule two.", "Rule two."),
        (3, "one of the configured rules"),
        (None, "one of the configured rules"),
        (True, "one of the configured rules"),
    ],
)
def test_rule_named(value: object, expected: str) -> None:
    assert make_policy(rules=["Rule one.", "Rule two."]).rule_named(value) == expected


def test_system_prompt_numbers_the_rules() -> None:
    policy = make_policy(rules=["First.", "Second."])
    assert "1. First.\n2. Second." in policy.system_prompt
    assert '{"probability"' in policy.system_prompt


@pytest.mark.parametrize(
    "config",
    [
        {"rules": [RULE], "instructions": "no placeholder"},
        {"rules": [RULE], "instructions": "{rules} {other}"},
        {"rules": ["  "]},
        {"rules": [RULE], "threshold": 2},
        {"rules": [RULE], "check_everything": True},
    ],
)
def test_invalid_config(config: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        RulesJudgePolicy.Config.model_validate(config)


def test_registered_with_a_valid_example() -> None:
    assert registry().get("rules-judge") is RulesJudgePolicy
    RulesJudgePolicy.Config.model_validate(RulesJudgePolicy.example_config)
    for name, field in RulesJudgePolicy.Config.model_fields.items():
        assert field.description, name
