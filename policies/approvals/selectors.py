"""Reads of the approval queue (pages, the admin API and the gate)."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.utils import timezone

from policies.models import PendingApproval

Status = PendingApproval.Status


def approval_get(*, approval_id: uuid.UUID | str) -> PendingApproval | None:
    """One approval, or None (also for an id that is not a UUID)."""
    try:
        key = approval_id if isinstance(approval_id, uuid.UUID) else uuid.UUID(str(approval_id))
    except ValueError:
        return None
    return PendingApproval.objects.filter(id=key).first()


def approval_list(*, status: str | None = None, limit: int = 100) -> QuerySet[PendingApproval]:
    """Approvals, newest first; `status` filters (e.g. `pending`)."""
    rows = PendingApproval.objects.all()
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at")[: max(1, min(limit, 1000))]


def approval_pending_list() -> QuerySet[PendingApproval]:
    """The calls waiting now, oldest first (the order to decide them). A pending row past its
    expiry is left out: its worker marks it timed out at expiry, so only a worker that died
    while holding the call leaves one behind."""
    return PendingApproval.objects.filter(
        status=Status.PENDING, expires_at__gt=timezone.now()
    ).order_by("created_at")


def approvals_of_transaction(*, transaction_id: str) -> list[PendingApproval]:
    """Every approval a transaction asked for, in order."""
    return list(
        PendingApproval.objects.filter(transaction_id=transaction_id).order_by("created_at")
    )
