"""Admin API for sessions, mounted at `/api/admin/sessions` (auth: `policies.api_auth`).

    GET  /api/admin/sessions                   sessions with totals (`?key=`, `?limit=`,
                                               `?since=` ISO time: calls since then only)
    GET  /api/admin/sessions/{id}              one session's totals and timeline
    POST /api/admin/sessions/{id}/clear        clear its strikes (`{"note": "..."}` optional)

Session ids may contain `/` and `:`; send them URL-encoded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from activity.sessions import SessionTotals, session_clear, session_list, session_page
from policies.api_auth import admin_auth

router = Router(auth=admin_auth, tags=["sessions"])


class ClearIn(Schema):
    """Why the session is cleared (optional)."""

    note: str = ""


def _totals(totals: SessionTotals) -> dict[str, Any]:
    return {
        "calls": totals.calls,
        "input_tokens": totals.input_tokens,
        "output_tokens": totals.output_tokens,
        "blocked": totals.blocked,
        "escalated": totals.escalated,
        "started_at": totals.started_at.isoformat() if totals.started_at else None,
        "ended_at": totals.ended_at.isoformat() if totals.ended_at else None,
        "duration_s": totals.duration_s,
    }


@router.get("", summary="Sessions with totals, most recent first")
def sessions(
    request: HttpRequest, key: str = "", limit: int = 100, since: datetime | None = None
) -> list[dict[str, Any]]:
    rows = session_list(key=key, limit=limit, since=since)
    return [{"session_id": r.session_id, "key": r.key, **_totals(r.totals)} for r in rows]


@router.post("/{path:session_id}/clear", summary="Clear a session's strikes")
def clear(request: HttpRequest, session_id: str, payload: ClearIn | None = None) -> dict[str, Any]:
    actor = getattr(getattr(request, "auth", None), "display", None) or "admin API"
    row = session_clear(
        session_id=session_id, actor=str(actor), note=payload.note if payload else ""
    )
    return {
        "session_id": row.session_id,
        "cleared_at": row.cleared_at.isoformat(),
        "cleared_by": row.cleared_by,
    }


@router.get("/{path:session_id}", summary="One session's totals and timeline")
def session(request: HttpRequest, session_id: str) -> dict[str, Any]:
    if session_id.endswith("/clear"):
        raise HttpError(405, "POST to clear a session")
    page = session_page(session_id=session_id)
    if page is None:
        raise HttpError(404, f"no session {session_id!r}")
    return {
        "session_id": page.session_id,
        **_totals(page.totals),
        "transactions": [t.id for t in page.transactions],
        "timeline": [
            {
                "kind": i.kind,
                "transaction_id": i.transaction_id,
                "at": i.at.isoformat(),
                "title": i.title,
                "text": i.text,
                "action": i.action,
            }
            for i in page.items
        ],
    }
