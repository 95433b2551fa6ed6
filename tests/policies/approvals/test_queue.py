"""The approval queue's wait and decide logic: conditional transitions (one decision wins),
edited arguments checked, the waiting call woken by the notification or by its own re-read, the
timeout's default, and the outcomes the gate hands back."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from policies.approvals import gate, services
from policies.approvals.gate import hold_for_approval, wait_for_decision
from policies.base import Escalation
from policies.builtin.require_approval import RequireApprovalPolicy
from policies.context import PolicyContext
from policies.models import PendingApproval
from policies.services import Actor
from tests.gateway.integration.approval_support import fresh_channel_layer  # noqa: F401
from wire.neutral import Message, Request, TextBlock, ToolCallBlock

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_channel_layer"),
]
REVIEWER = Actor(label="reviewer")
CALL = ToolCallBlock(id="call_1", name="Bash", arguments='{"command": "make deploy"}')


def held(timeout_s: float = 60.0, on_timeout: str = "deny") -> services.HeldCall:
    return services.HeldCall(
        transaction_id="t1",
        policy="ask",
        reason="deploys",
        tool_name="Bash",
        tool_call_id="call_1",
        arguments=CALL.arguments,
        timeout_s=timeout_s,
        on_timeout=on_timeout,
    )


def ctx(stream: bool = True) -> PolicyContext:
    request = Request(
        format="anthropic", model="m", messages=[Message("user", [TextBlock("go")])], stream=stream
    )
    return PolicyContext(transaction_id="t1", request=request, session_id="s1", key_name="k")


def test_one_decision_wins() -> None:
    row = services.approval_create(held())
    decided = services.approval_decide(approval_id=row.id, approve=True, actor=REVIEWER)
    assert decided.status == "approved" and decided.decided_by == "reviewer"
    with pytest.raises(services.ApprovalConflict, match="already approved"):
        services.approval_decide(approval_id=row.id.hex, approve=False, actor=REVIEWER)
    assert services.approval_expire(row.id).status == "approved"  # the decision stands
    with pytest.raises(services.ApprovalNotFound):
        services.approval_decide(approval_id="not-a-uuid", approve=True, actor=REVIEWER)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [("{not json", "not valid JSON"), ("[1, 2]", "must be a JSON object"), (3, "JSON object")],
)
def test_edited_arguments_must_be_an_object(arguments: Any, message: str) -> None:
    row = services.approval_create(held())
    with pytest.raises(services.ApprovalInvalid, match=message):
        services.approval_decide(
            approval_id=row.id, approve=True, actor=REVIEWER, arguments=arguments
        )
    assert PendingApproval.objects.get(id=row.id).status == "pending"


async def test_the_notification_wakes_the_waiting_call(settings: Any) -> None:
    settings.LUTHIEN_APPROVAL_POLL_S = 3600  # only the notification can wake it
    row = await sync_to_async(services.approval_create)(held())
    waiting = asyncio.ensure_future(wait_for_decision(row.id, 3600))
    await _joined(row.id)
    await sync_to_async(services.approval_decide)(
        approval_id=row.id, approve=False, actor=REVIEWER, reason="no"
    )
    found = await asyncio.wait_for(waiting, timeout=30)
    assert found is not None and found.status == "denied" and found.decision_reason == "no"


async def test_a_lost_notification_is_caught_by_the_re_read(settings: Any) -> None:
    settings.LUTHIEN_APPROVAL_POLL_S = 0.05
    row = await sync_to_async(services.approval_create)(held())
    waiting = asyncio.ensure_future(wait_for_decision(row.id, 3600))
    await _joined(row.id)
    # decided without a notification (as if it was lost)
    await sync_to_async(PendingApproval.objects.filter(id=row.id).update)(status="approved")
    found = await asyncio.wait_for(waiting, timeout=30)
    assert found is not None and found.status == "approved"


async def test_wait_returns_none_at_the_deadline(settings: Any) -> None:
    settings.LUTHIEN_APPROVAL_POLL_S = 0.02
    row = await sync_to_async(services.approval_create)(held())
    assert await wait_for_decision(row.id, 0.05) is None


async def test_timeout_denies_with_a_readable_message() -> None:
    context = ctx()
    policy = RequireApprovalPolicy.from_config({"tools": ["Bash"]})
    result = await hold_for_approval(policy, context, Escalation(CALL, "deploys", timeout_s=0.05))
    assert isinstance(result, TextBlock)
    assert "Tool: Bash" in result.text
    assert "nobody approved it within 0.05 seconds (the policy denies by default)" in result.text
    assert [d.action for d in context.decisions] == ["escalated", "timed_out"]
    assert context.blocked


async def test_timeout_allow_releases_the_call() -> None:
    context = ctx()
    policy = RequireApprovalPolicy.from_config({"tools": ["Bash"]})
    escalation = Escalation(CALL, "deploys", timeout_s=0.05, on_timeout="allow")
    assert await hold_for_approval(policy, context, escalation) is CALL
    assert not context.blocked


async def test_non_streaming_wait_is_capped_by_the_upstream_timeout(settings: Any) -> None:
    settings.LUTHIEN_UPSTREAM_READ_TIMEOUT_S = 7
    settings.LUTHIEN_APPROVAL_TIMEOUT_S = 300
    escalation = Escalation(CALL, "x")
    assert gate.approval_timeout(escalation, ctx(stream=False)) == 7
    assert gate.approval_timeout(escalation, ctx(stream=True)) == 300
    assert gate.approval_timeout(Escalation(CALL, "x", timeout_s=12), ctx(stream=True)) == 12


async def test_approved_with_edits_and_cancel_withdraws() -> None:
    context = ctx()
    policy = RequireApprovalPolicy.from_config({"tools": ["Bash"]})
    holding = asyncio.ensure_future(hold_for_approval(policy, context, Escalation(CALL, "x")))
    row = await _pending()
    await sync_to_async(services.approval_decide)(
        approval_id=row.id, approve=True, actor=REVIEWER, arguments={"command": "make test"}
    )
    result = await asyncio.wait_for(holding, timeout=30)
    assert isinstance(result, ToolCallBlock) and result.id == CALL.id
    assert json.loads(result.arguments) == {"command": "make test"}
    assert context.decisions[-1].details["by"] == "reviewer"

    context = ctx()
    holding = asyncio.ensure_future(hold_for_approval(policy, context, Escalation(CALL, "x")))
    row = await _pending()
    holding.cancel()
    with pytest.raises(asyncio.CancelledError):
        await holding
    assert context.decisions[-1].action == "withdrawn"
    await asyncio.gather(*gate._background)
    assert (await sync_to_async(PendingApproval.objects.get)(id=row.id)).status == "withdrawn"


async def _pending() -> PendingApproval:
    def first() -> PendingApproval | None:
        return PendingApproval.objects.filter(status="pending").first()

    for _ in range(2000):
        row = await sync_to_async(first)()
        if row is not None:
            return row
        await asyncio.sleep(0.01)
    raise AssertionError("no pending approval")


async def _joined(approval_id: Any) -> None:
    """Wait until the waiting call listens on the approval's group (in-memory or Redis)."""
    from channels.layers import get_channel_layer

    from policies.approvals.notify import approval_group

    layer: Any = get_channel_layer()
    group = approval_group(approval_id)
    for _ in range(2000):
        if hasattr(layer, "groups"):
            if layer.groups.get(group):
                return
        else:
            connection = layer.connection(layer.consistent_hash(group))
            if await connection.zcard(layer._group_key(group)):
                return
        await asyncio.sleep(0.01)
    raise AssertionError("the waiting call never joined its group")


def test_an_expired_pending_row_leaves_the_queue() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from policies.approvals import selectors

    live, orphan = services.approval_create(held()), services.approval_create(held())
    PendingApproval.objects.filter(id=orphan.id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert [row.id for row in selectors.approval_pending_list()] == [live.id]


async def test_the_wait_for_a_reviewer_is_counted_on_the_context() -> None:
    context = ctx()
    policy = RequireApprovalPolicy.from_config({"tools": ["Bash"]})
    await hold_for_approval(policy, context, Escalation(CALL, "x", timeout_s=0.05))
    assert context.approval_wait_s >= 0.05
