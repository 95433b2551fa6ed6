"""Hold an escalated tool call until a human decides, the timeout passes or the client leaves.

`hold_for_approval` is what the engine calls for an `Escalation`; it returns the block that
replaces the held call: the call itself (approved; with the reviewer's arguments if edited) or
the readable blocked-call text (denied: the reviewer's reason; timed out: the policy's default,
deny unless it says allow). Every step is a decision on the transaction: `escalated`, then
`approved` / `denied` / `timed_out` (who and when), or `withdrawn` when the client disconnects
(the cancellation is re-raised; the row is marked withdrawn in the background).

The wait is bounded by the escalation's timeout (else `LUTHIEN_APPROVAL_TIMEOUT_S`); a
non-streaming call, which cannot be kept alive, also by `LUTHIEN_UPSTREAM_READ_TIMEOUT_S`. If the
queue cannot be written (database down) nobody can approve: the policy's default applies at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings

from policies.approvals import selectors, services
from policies.approvals.notify import DecisionListener
from policies.base import Escalation, Policy
from policies.context import PolicyContext
from policies.engine.notices import blocked_tool_call_text
from policies.models import PendingApproval
from wire.neutral import Block, ToolCallBlock

logger = logging.getLogger("policies.approvals")
Status = PendingApproval.Status
_background: set[asyncio.Task[Any]] = set()


def approval_timeout(escalation: Escalation, ctx: PolicyContext) -> float:
    """How long this call may wait for a human, in seconds."""
    timeout = escalation.timeout_s
    if timeout is None:
        timeout = float(settings.LUTHIEN_APPROVAL_TIMEOUT_S)
    if not ctx.request.stream:
        timeout = min(timeout, float(settings.LUTHIEN_UPSTREAM_READ_TIMEOUT_S))
    return max(timeout, 0.0)


async def hold_for_approval(policy: Policy, ctx: PolicyContext, escalation: Escalation) -> Block:
    """Wait for the human decision on `escalation.call`; the block that replaces it."""
    call, label = escalation.call, escalation.policy or policy.label
    timeout = approval_timeout(escalation, ctx)
    held = services.HeldCall(
        transaction_id=ctx.transaction_id,
        policy=label,
        reason=escalation.reason,
        tool_name=call.name,
        tool_call_id=call.id,
        arguments=call.arguments,
        timeout_s=timeout,
        on_timeout=escalation.on_timeout,
        context_text="".join(ctx.response_text)[-4000:],
        session_id=ctx.session_id,
        api_key_name=ctx.key_name,
        model=ctx.request.model,
        client_format=ctx.request.format,
        stream=ctx.request.stream,
    )
    try:
        approval = await sync_to_async(services.approval_create)(held)
    except Exception as error:
        logger.warning("could not queue a tool call for approval", exc_info=True)
        ctx.decide(label, "error", f"the approval queue is unavailable ({type(error).__name__})")
        if escalation.fallback is not None:
            return await _fallback(ctx, call, label, escalation, why="the approval queue is down")
        return _default(ctx, call, label, escalation.on_timeout, why="the approval queue is down")
    approval_id = approval.id.hex
    ctx.decide(
        label,
        "escalated",
        escalation.reason,
        approval_id=approval_id,
        tool=call.name,
        arguments=call.parsed_arguments(),
        timeout_s=timeout,
        on_timeout=escalation.on_timeout,
    )
    started = time.monotonic()
    try:
        _raise_if_cancelled()
        row = await wait_for_decision(approval.id, timeout)
    except asyncio.CancelledError:
        ctx.decide(
            label,
            "withdrawn",
            "the client disconnected while the call waited for approval",
            approval_id=approval_id,
            tool=call.name,
        )
        _in_background(sync_to_async(services.approval_withdraw)(approval.id))
        raise
    finally:
        ctx.approval_wait_s += time.monotonic() - started
    if row is None:
        row = await sync_to_async(services.approval_expire)(approval.id)
        if row.status == Status.TIMED_OUT and escalation.fallback is not None:
            why = f"nobody approved it within {_duration(row)}"
            return await _fallback(ctx, call, label, escalation, why=why, row=row)
    return _outcome(ctx, call, label, row, escalation)


async def wait_for_decision(approval_id: uuid.UUID, timeout_s: float) -> PendingApproval | None:
    """The row once it is no longer pending, or None when `timeout_s` passed first. Wakes on
    the channel-layer notification, and re-reads the row every `LUTHIEN_APPROVAL_POLL_S`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    poll = max(float(settings.LUTHIEN_APPROVAL_POLL_S), 0.01)
    read = sync_to_async(selectors.approval_get)
    async with DecisionListener(approval_id) as listener:
        while True:
            row = await read(approval_id=approval_id)
            _raise_if_cancelled()
            if row is not None and row.status != Status.PENDING:
                return row
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            await listener.wait(min(poll, remaining))


def _raise_if_cancelled() -> None:
    """Re-raise a cancellation that `sync_to_async` swallowed: asgiref lets a sync call that
    already runs finish and returns its result even when the awaiting task was cancelled (the
    client left during a database read), so the wait would otherwise go on."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _outcome(
    ctx: PolicyContext,
    call: ToolCallBlock,
    label: str,
    row: PendingApproval,
    escalation: Escalation,
) -> Block:
    common = {"approval_id": row.id.hex, "tool": call.name, "by": row.decided_by}
    decided_at = row.decided_at.timestamp() if row.decided_at else time.time()
    if row.status == Status.APPROVED:
        edited = row.edited_arguments is not None and row.edited_arguments != call.arguments
        ctx.decide(
            label,
            "approved",
            row.decision_reason or f"approved by {row.decided_by}",
            **common,
            decided_at=decided_at,
            edited=edited,
            **({"arguments": json.loads(row.edited_arguments or "{}")} if edited else {}),
        )
        if edited:
            return ToolCallBlock(
                id=call.id, name=call.name, arguments=row.edited_arguments or "", extra=call.extra
            )
        return call
    if row.status == Status.DENIED:
        said = f": {row.decision_reason}" if row.decision_reason else ""
        reason = f"a reviewer ({row.decided_by}) denied this call{said}"
        ctx.decide(label, "denied", reason, **common, decided_at=decided_at, withheld=True)
        return blocked_tool_call_text(call, policy=label, reason=reason)
    if row.status == Status.WITHDRAWN:  # only if the client left but the call is still asked
        ctx.decide(label, "withdrawn", "the call was withdrawn", **common)
        return blocked_tool_call_text(call, policy=label, reason="the call was withdrawn")
    minutes = _duration(row)
    why = f"nobody approved it within {minutes}"
    return _default(ctx, call, label, row.on_timeout or escalation.on_timeout, why=why, row=row)


def _default(
    ctx: PolicyContext,
    call: ToolCallBlock,
    label: str,
    on_timeout: str,
    *,
    why: str,
    row: PendingApproval | None = None,
) -> Block:
    """The policy's default when no human decided: deny (the readable notice) or allow."""
    details: dict[str, Any] = {"tool": call.name, "default": on_timeout}
    if row is not None:
        details["approval_id"] = row.id.hex
    if on_timeout == "allow":
        ctx.decide(label, "timed_out", f"{why}; the policy allows it by default", **details)
        return call
    reason = f"it needed a reviewer's approval and {why} (the policy denies by default)"
    ctx.decide(label, "timed_out", reason, **details, withheld=True)
    return blocked_tool_call_text(call, policy=label, reason=reason)


async def _fallback(
    ctx: PolicyContext,
    call: ToolCallBlock,
    label: str,
    escalation: Escalation,
    *,
    why: str,
    row: PendingApproval | None = None,
) -> Block:
    """No human decided: the escalating policy's own fallback gives the replacement."""
    assert escalation.fallback is not None
    details: dict[str, Any] = {"tool": call.name, "default": "fallback"}
    if row is not None:
        details["approval_id"] = row.id.hex
    ctx.decide(label, "timed_out", f"{why}; the policy's fallback applies", **details)
    return await escalation.fallback(call)


def _duration(row: PendingApproval) -> str:
    seconds = max((row.expires_at - row.created_at).total_seconds(), 0.0)
    if seconds >= 120:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"


def _in_background(work: Any) -> None:
    task = asyncio.ensure_future(work)
    _background.add(task)
    task.add_done_callback(_background_done)


def _background_done(task: asyncio.Task[Any]) -> None:
    _background.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.warning("could not update a withdrawn approval", exc_info=task.exception())
