"""`monitor` with the real approval queue: nobody decides in time, so the trusted model answers
(`defer_on_timeout`), through the gate and through the production pipeline."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.transaction_record import TransactionRecord
from policies.approvals.gate import hold_for_approval
from policies.base import Escalation
from policies.builtin.monitor import MonitorPolicy
from policies.context import PolicyContext
from policies.models import PendingApproval
from tests.gateway.integration.approval_support import fresh_channel_layer  # noqa: F401
from tests.policies.control.test_monitor_paths import activate
from tests.policies.test_parity_matrix import call, captured
from wire.mock.scripts import TEXT_TOOL_SENTENCE
from wire.mock.trusted import DEFERRED_TEXT, SAFE_COMMAND
from wire.neutral import Message, Request, TextBlock, ToolCallBlock

__all__ = ["captured"]
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_channel_layer"),
]
RM_HOME = ToolCallBlock(id="call_1", name="Bash", arguments='{"command": "rm -rf ~"}')
NOBODY = {"scorer": "preset", "approval_timeout_s": 0.05, "defer_on_timeout": True}


def ctx() -> PolicyContext:
    request = Request(
        format="openai", model="m", messages=[Message("user", [TextBlock("go")])], stream=True
    )
    return PolicyContext(transaction_id="t1", request=request)


async def test_nobody_in_time_edits_the_held_call() -> None:
    policy = MonitorPolicy.from_config({**NOBODY, "trusted_action": "edit"})
    context = ctx()
    escalation = await policy.on_tool_call(RM_HOME, context)
    assert isinstance(escalation, Escalation)
    escalation.policy = policy.label
    block = await hold_for_approval(policy, context, escalation)
    assert isinstance(block, ToolCallBlock)
    assert json.loads(block.arguments) == {"command": SAFE_COMMAND}
    assert [d.action for d in context.decisions] == ["scored", "escalated", "timed_out", "edited"]
    assert context.decisions[2].details["default"] == "fallback"
    row = await PendingApproval.objects.aget()
    assert row.status == "timed_out"


@pytest.mark.parametrize(("fmt", "stream"), [("openai", True), ("anthropic", False)])
async def test_nobody_in_time_defers_through_the_pipeline(
    fmt: str, stream: bool, captured: list[TransactionRecord], settings: Any
) -> None:
    activate({**NOBODY, "trusted_action": "defer"})
    result = await call(fmt, stream, "mock/text-tool", "rm -rf ~")
    assert result == {"text": TEXT_TOOL_SENTENCE + DEFERRED_TEXT, "tools": [], "stop": "end_turn"}
    (record,) = captured
    actions = [d["action"] for d in record.decisions]
    assert actions == ["scored", "escalated", "timed_out", "deferred"]
    assert await PendingApproval.objects.filter(status="timed_out").acount() == 1
