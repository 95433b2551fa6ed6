"""The `/approvals/` page: held tool calls a reviewer approves, denies or edits, and the latest
decisions. Thin over `policies.approvals` (the queue) and `activity.session_calls` (what the
session did before). The page re-reads its cards every second (`cards`), keeping the ones on
screen so a reviewer's half-typed reason is never lost. Viewing needs staff; deciding also
needs `policies.change_policyconfig`, as policy changes do (the admin API's rule).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from activity.session_calls import session_recent_calls
from policies.approvals import selectors, services

if TYPE_CHECKING:
    from policies.models import PendingApproval

DECIDE_PERMISSION = "policies.change_policyconfig"
RECENT_DECISIONS = 20


def approval_card(row: PendingApproval) -> dict[str, Any]:
    """What one card shows."""
    return {
        "row": row,
        "id": row.id.hex,
        "arguments": _pretty(row.arguments),
        "edited": None if row.edited_arguments is None else _pretty(row.edited_arguments),
        "session_calls": session_recent_calls(
            session_id=row.session_id, exclude_transaction=row.transaction_id
        ),
    }


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (json.JSONDecodeError, TypeError):
        return text


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    pending = [approval_card(row) for row in selectors.approval_pending_list()[:100]]
    recent = [
        row
        for row in selectors.approval_list(limit=RECENT_DECISIONS * 2)
        if row.status != selectors.Status.PENDING
    ][:RECENT_DECISIONS]
    may_decide = request.user.has_perm(DECIDE_PERMISSION)  # type: ignore[union-attr]
    return {
        "nav": "approvals",
        "pending": pending,
        "recent": recent,
        "may_decide": may_decide,
        **extra,
    }


@staff_member_required
@require_GET
def approvals(request: HttpRequest) -> HttpResponse:
    """The queue: pending cards (oldest first) and the latest decisions."""
    done = selectors.approval_get(approval_id=request.GET.get("done", ""))
    return render(request, "activity/approvals.html", _context(request, done=done))


@staff_member_required
@require_GET
def cards(request: HttpRequest) -> HttpResponse:
    """The pending cards and the latest decisions alone (the page polls this)."""
    return render(request, "activity/_approval_cards.html", _context(request))


@staff_member_required
@require_POST
def decide(request: HttpRequest, approval_id: str) -> HttpResponse:
    """Approve (with the edited arguments, if changed) or deny (with the reason)."""
    if not request.user.has_perm(DECIDE_PERMISSION):  # type: ignore[union-attr]
        error = f"deciding needs the {DECIDE_PERMISSION} permission"
        return render(
            request, "activity/approvals.html", _context(request, error=error), status=403
        )
    action = request.POST.get("action", "")
    if action not in ("approve", "deny"):
        return render(
            request,
            "activity/approvals.html",
            _context(request, error="unknown action"),
            status=400,
        )
    row = selectors.approval_get(approval_id=approval_id)
    arguments: str | None = None
    if action == "approve" and row is not None:
        sent = request.POST.get("arguments", "")
        if sent.strip() and _normalised(sent) != _normalised(row.arguments):
            arguments = sent
    try:
        services.approval_decide(
            approval_id=approval_id,
            approve=action == "approve",
            actor=services.Actor(user=request.user),
            reason=request.POST.get("reason", ""),
            arguments=arguments,
        )
    except services.ApprovalNotFound as failure:
        return _failed(request, str(failure), 404)
    except services.ApprovalConflict as failure:
        return _failed(request, str(failure), 409)
    except services.ApprovalInvalid as failure:
        return _failed(request, str(failure), 400)
    return redirect(f"{reverse('approvals:list')}?done={approval_id}")


def _failed(request: HttpRequest, error: str, status: int) -> HttpResponse:
    return render(request, "activity/approvals.html", _context(request, error=error), status=status)


def _normalised(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
