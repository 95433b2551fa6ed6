"""Debug endpoints of the transaction log, mounted by the admin API at `/api/admin/debug/`.

    GET /transactions?limit=50        recent transactions as JSON (metadata only, no bodies)
    GET /transactions/{id}            one transaction with its decision events and bodies
    GET /transactions/{id}/diff       original vs final request and response, as JSON
    POST /recorder/flush              wait (up to 10 s) until this worker's recorder has written
                                      or spilled every record it accepted; its counters

Access (here and for every activity page, the WebSocket and the SSE stream): an active staff
user's session, or `Authorization: Bearer $ADMIN_API_KEY` (compared in constant time). Anonymous
callers get 401, signed-in non-staff users 403. JSON is written with `<`, `>` and `&` escaped
(`\\u003c`…), so model output can never be read as markup even by a careless viewer.
"""

from __future__ import annotations

import hmac
from typing import Any

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.errors import HttpError

from activity.diffs import transaction_diffs
from activity.recorder import recorder
from activity.selectors import (
    MAX_PAGE_SIZE,
    transaction_as_dict,
    transaction_body,
    transaction_detail,
    transaction_recent,
)

_JSON_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"))


def may_watch(user: Any) -> bool:
    """Whether a user may see activity: an active staff member."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def admin_key_matches(request: HttpRequest) -> bool:
    """Whether the request carries `Authorization: Bearer <ADMIN_API_KEY>` (never when unset)."""
    expected = settings.ADMIN_API_KEY
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if not expected or scheme.lower() != "bearer" or not secret:
        return False
    return hmac.compare_digest(secret.strip().encode(), expected.encode())


class StaffOrAdminKey:
    """Ninja auth: the admin key or a staff session; 403 for a signed-in non-staff user."""

    def __call__(self, request: HttpRequest) -> Any:
        if admin_key_matches(request):
            return "admin-key"
        user = getattr(request, "user", None)
        if may_watch(user):
            return user
        if user is not None and user.is_authenticated:
            raise HttpError(403, "staff only")
        return None


def json_response(data: Any, status: int = 200) -> HttpResponse:
    """JSON with markup characters escaped."""
    body = orjson.dumps(data, default=str)
    for raw, escaped in _JSON_ESCAPES:
        body = body.replace(raw, escaped)
    return HttpResponse(body, status=status, content_type="application/json")


router = Router(tags=["debug"], auth=StaffOrAdminKey())


@router.get("/transactions", summary="Recent transactions (no bodies)")
def recent_transactions(request: HttpRequest, limit: int = 50) -> HttpResponse:
    """The latest `limit` transactions (at most 500), newest first."""
    rows = transaction_recent(limit=min(max(1, limit), MAX_PAGE_SIZE))
    return json_response({"transactions": [transaction_as_dict(row) for row in rows]})


@router.get("/transactions/{transaction_id}", summary="One transaction with events and bodies")
def transaction(request: HttpRequest, transaction_id: str) -> HttpResponse:
    """Metadata, decision events in order, and the four bodies (null when not kept)."""
    row = transaction_detail(transaction_id=transaction_id)
    if row is None:
        return json_response({"detail": "no such transaction"}, status=404)
    body = transaction_body(row)
    names = ("request_original", "request_final", "response_original", "response_final")
    data = transaction_as_dict(row)
    data["events"] = [
        {
            "seq": event.seq,
            "at": event.at.isoformat(),
            "policy": event.policy,
            "action": event.action,
            "reason": event.reason,
            "details": event.details,
        }
        for event in row.events.all()
    ]
    data["bodies"] = {name: getattr(body, name) if body else None for name in names}
    return json_response(data)


@router.get("/transactions/{transaction_id}/diff", summary="What the policies changed")
def transaction_diff(request: HttpRequest, transaction_id: str) -> HttpResponse:
    """Original vs final request and response as readable lines and a unified diff."""
    row = transaction_detail(transaction_id=transaction_id)
    if row is None:
        return json_response({"detail": "no such transaction"}, status=404)
    views = transaction_diffs(transaction_body(row))
    return json_response({"id": row.id, **{view.name: view.as_dict() for view in views}})


@router.post("/recorder/flush", summary="Wait until this worker's recorder has settled")
def recorder_flush(request: HttpRequest) -> HttpResponse:
    """Everything this worker accepted so far is written or spilled when `flushed` is true
    (used by scripts and tests before they read or wipe the database)."""
    flushed = recorder().flush(timeout=10)
    return json_response({"flushed": flushed, "recorder": recorder().stats()})
