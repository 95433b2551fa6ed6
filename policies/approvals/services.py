"""Writes to the approval queue. The gate, the admin API and the `/approvals/` page call these.

    approval_create     a new pending row for a held tool call
    approval_decide     a human approves (optionally with edited arguments) or denies
    approval_expire     nobody decided in time: the row says so (unless decided meanwhile)
    approval_withdraw   the client left: the row says so (unless decided meanwhile)

Every state change is one conditional UPDATE (`status = pending`), so two reviewers, or a
reviewer and the timeout, can never both win; the loser gets `ApprovalConflict`. A decision is
a privileged act: it is kept on the row (who, when, reason, edited arguments), logged, and
announced to the worker holding the call (`notify`).
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from asgiref.sync import async_to_sync
from django.utils import timezone

from policies.approvals.notify import approval_notify
from policies.models import PendingApproval
from policies.services import Actor

logger = logging.getLogger("policies.approvals")
Status = PendingApproval.Status

MAX_REASON_CHARS = 2000


class ApprovalNotFound(Exception):
    """No approval with that id."""


class ApprovalConflict(Exception):
    """The approval was already decided, timed out or withdrawn."""


class ApprovalInvalid(Exception):
    """The decision's input is invalid (e.g. edited arguments that are not a JSON object)."""


@dataclass(frozen=True, slots=True)
class HeldCall:
    """What the gate knows of a held call when it creates the row."""

    transaction_id: str
    policy: str
    reason: str
    tool_name: str
    tool_call_id: str
    arguments: str
    timeout_s: float
    on_timeout: str = "deny"
    context_text: str = ""
    session_id: str = ""
    api_key_name: str = ""
    model: str = ""
    client_format: str = ""
    stream: bool = False


def approval_create(held: HeldCall) -> PendingApproval:
    """A new pending approval for `held`, expiring after its timeout."""
    now = timezone.now()
    return PendingApproval.objects.create(
        transaction_id=held.transaction_id,
        session_id=held.session_id[:255],
        api_key_name=held.api_key_name[:100],
        model=held.model[:200],
        client_format=held.client_format,
        stream=held.stream,
        policy=held.policy[:200],
        reason=held.reason,
        tool_name=held.tool_name[:200],
        tool_call_id=held.tool_call_id[:200],
        arguments=held.arguments,
        context_text=held.context_text,
        on_timeout=held.on_timeout,
        created_at=now,
        expires_at=now + timedelta(seconds=held.timeout_s),
    )


def edited_arguments_check(arguments: Any) -> str | None:
    """Edited arguments as the JSON text the call will carry: a JSON object (or its text);
    None means unchanged. Raises ApprovalInvalid."""
    if arguments is None or arguments == "":
        return None
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError as error:
            raise ApprovalInvalid(f"edited arguments are not valid JSON: {error.msg}") from error
    if not isinstance(arguments, dict):
        raise ApprovalInvalid("edited arguments must be a JSON object")
    return json.dumps(arguments, ensure_ascii=False)


def approval_decide(
    *,
    approval_id: uuid.UUID | str,
    approve: bool,
    actor: Actor,
    reason: str = "",
    arguments: Any = None,
) -> PendingApproval:
    """Approve (with `arguments` replacing the call's, if given) or deny (with `reason`, which
    the agent reads). Raises ApprovalNotFound, ApprovalConflict or ApprovalInvalid."""
    key = _uuid(approval_id)
    edited = edited_arguments_check(arguments) if approve else None
    reason = reason.strip()[:MAX_REASON_CHARS]
    fields: dict[str, Any] = {
        "status": Status.APPROVED if approve else Status.DENIED,
        "decided_at": timezone.now(),
        "decided_by": actor.display[:150],
        "decision_reason": reason,
        "edited_arguments": edited,
    }
    row = _transition(key, fields)
    logger.info(
        "approval %s %s by %s%s",
        key,
        row.status,
        row.decided_by,
        " with edited arguments" if edited is not None else "",
    )
    async_to_sync(approval_notify)(key)
    return row


def approval_expire(approval_id: uuid.UUID) -> PendingApproval:
    """Mark a pending approval timed out; returns the row as it now is (a decision that won
    the race stands)."""
    return _settle(approval_id, Status.TIMED_OUT)


def approval_withdraw(approval_id: uuid.UUID) -> PendingApproval:
    """Mark a pending approval withdrawn (the client disconnected)."""
    return _settle(approval_id, Status.WITHDRAWN)


def _settle(approval_id: uuid.UUID, status: str) -> PendingApproval:
    try:
        return _transition(approval_id, {"status": status, "decided_at": timezone.now()})
    except ApprovalConflict:
        return PendingApproval.objects.get(id=approval_id)


def _transition(key: uuid.UUID, fields: dict[str, Any]) -> PendingApproval:
    changed = PendingApproval.objects.filter(id=key, status=Status.PENDING).update(**fields)
    row = PendingApproval.objects.filter(id=key).first()
    if row is None:
        raise ApprovalNotFound(f"no approval {key}")
    if not changed:
        raise ApprovalConflict(f"approval {key} is already {row.status}")
    return row


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError as error:
        raise ApprovalNotFound(f"no approval {value}") from error
