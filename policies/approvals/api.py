"""The approval queue in the admin API, mounted at `/api/admin/approvals` (so a chat-ops bot can
decide). Same authentication and permission rules as policy changes (`policies.api_auth`):
reading needs staff or the admin key; deciding needs `policies.change_policyconfig` (or the
admin key). Errors: unknown id → 404, already decided → 409, bad edited arguments → 422.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from policies.api_auth import admin_auth
from policies.approvals import selectors, services
from policies.models import PendingApproval

router = Router(auth=admin_auth, tags=["approvals"])


class ApprovalOut(Schema):
    """One held (or decided) tool call."""

    id: str
    status: str = Field(description="pending, approved, denied, timed_out or withdrawn")
    transaction_id: str
    session_id: str
    api_key_name: str
    model: str
    policy: str = Field(description="The policy that escalated the call.")
    reason: str = Field(description="Why the policy asks a human.")
    tool_name: str
    tool_call_id: str
    arguments: Any = Field(description="The call's arguments (JSON, or the raw text).")
    context_text: str = Field(description="The model's text before the call.")
    created_at: datetime
    expires_at: datetime
    on_timeout: str
    decided_at: datetime | None
    decided_by: str
    decision_reason: str
    edited_arguments: Any = None


class ApproveIn(Schema):
    """An approval; `arguments` (a JSON object) replaces the call's arguments."""

    reason: str = ""
    arguments: dict[str, Any] | None = Field(
        default=None, description="Edited arguments; omit to release the call as it is."
    )


class DenyIn(Schema):
    """A denial; the agent reads `reason` in the blocked-call text."""

    reason: str = ""


class ErrorOut(Schema):
    """An error."""

    detail: str


def approval_out(row: PendingApproval) -> dict[str, Any]:
    """The API (and page) form of a row."""
    return {
        "id": row.id.hex,
        "status": row.status,
        "transaction_id": row.transaction_id,
        "session_id": row.session_id,
        "api_key_name": row.api_key_name,
        "model": row.model,
        "policy": row.policy,
        "reason": row.reason,
        "tool_name": row.tool_name,
        "tool_call_id": row.tool_call_id,
        "arguments": _json_or_text(row.arguments),
        "context_text": row.context_text,
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "on_timeout": row.on_timeout,
        "decided_at": row.decided_at,
        "decided_by": row.decided_by,
        "decision_reason": row.decision_reason,
        "edited_arguments": (
            None if row.edited_arguments is None else _json_or_text(row.edited_arguments)
        ),
    }


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text) if text else {}
    except json.JSONDecodeError:
        return text


@contextmanager
def _service_errors() -> Iterator[None]:
    try:
        yield
    except services.ApprovalNotFound as error:
        raise HttpError(404, str(error)) from error
    except services.ApprovalConflict as error:
        raise HttpError(409, str(error)) from error
    except services.ApprovalInvalid as error:
        raise HttpError(422, str(error)) from error


@router.get("", response=list[ApprovalOut], summary="Approvals")
def list_approvals(
    request: HttpRequest, status: str = "pending", limit: int = 100
) -> list[dict[str, Any]]:
    """Held tool calls, newest first; `status=pending` (default), another status, or `all`."""
    rows = selectors.approval_list(status=None if status == "all" else status, limit=limit)
    return [approval_out(row) for row in rows]


@router.get("/{approval_id}", response={200: ApprovalOut, 404: ErrorOut}, summary="One approval")
def get_approval(request: HttpRequest, approval_id: str) -> dict[str, Any]:
    """One approval, whatever its status."""
    row = selectors.approval_get(approval_id=approval_id)
    if row is None:
        raise HttpError(404, f"no approval {approval_id}")
    return approval_out(row)


@router.post(
    "/{approval_id}/approve",
    response={200: ApprovalOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Approve",
)
def approve(request: HttpRequest, approval_id: str, payload: ApproveIn) -> dict[str, Any]:
    """Release the held call (with `arguments` instead of the model's, if given) on whichever
    worker holds it, within a second."""
    with _service_errors():
        row = services.approval_decide(
            approval_id=approval_id,
            approve=True,
            actor=request.auth,  # type: ignore[attr-defined]
            reason=payload.reason,
            arguments=payload.arguments,
        )
    return approval_out(row)


@router.post(
    "/{approval_id}/deny",
    response={200: ApprovalOut, 404: ErrorOut, 409: ErrorOut},
    summary="Deny",
)
def deny(request: HttpRequest, approval_id: str, payload: DenyIn) -> dict[str, Any]:
    """Replace the held call with the blocked-call text carrying `reason`."""
    with _service_errors():
        row = services.approval_decide(
            approval_id=approval_id,
            approve=False,
            actor=request.auth,  # type: ignore[attr-defined]
            reason=payload.reason,
        )
    return approval_out(row)
