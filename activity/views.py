"""Pages of the activity app: live monitor, history list, transaction detail, SSE stream.

Views are thin: filters, queries and diffs come from `activity.selectors` and
`activity.diffs`; the SSE body from `activity.sse`. Every page needs an active staff user
(anonymous visitors are sent to the login page); the stream also accepts the admin key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from functools import wraps
from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET

from activity.api import admin_key_matches, may_watch
from activity.diffs import transaction_diffs
from activity.live_events import PREVIEW_CHARS
from activity.selectors import (
    RANGES,
    TransactionFilters,
    transaction_body,
    transaction_detail,
    transaction_first_for_policy,
    transaction_list,
    transaction_page,
)
from activity.sse import live_event_stream
from gateway.transaction_record import STATUSES
from policies.approvals.selectors import approval_pending_list, approvals_of_transaction
from wire.routes import recorded_endpoints

MONITOR_MAX_ROWS = 500


@staff_member_required
def monitor(request: HttpRequest) -> HttpResponse:
    """The live monitor (the page connects to the `ws/activity/` WebSocket)."""
    config = {
        "wsPath": "/ws/activity/",
        "detailBase": reverse("activity:history"),
        "maxRows": MONITOR_MAX_ROWS,
        "previewChars": PREVIEW_CHARS,
        "csrfToken": get_token(request),
        "approvals": [
            {
                "id": row.id.hex,
                "tool": row.tool_name,
                "policy": row.policy,
                "reason": row.reason,
                "arguments": row.arguments,
                "transaction_id": row.transaction_id,
            }
            for row in approval_pending_list()[:50]
        ],
    }
    context = {"nav": "monitor", "config": config, "statuses": STATUSES}
    return render(request, "activity/monitor.html", context)


@staff_member_required
def history(request: HttpRequest) -> HttpResponse:
    """Past transactions, filtered and paginated (newest first)."""
    filters = TransactionFilters.from_query(request.GET)
    page_number = request.GET.get("page", "1")
    number = int(page_number) if page_number.isdigit() else 1
    page = transaction_page(rows=transaction_list(filters=filters), number=number)
    context = {
        "nav": "history",
        "filters": filters,
        "page": page,
        "statuses": STATUSES,
        "endpoints": recorded_endpoints(),
        "ranges": list(RANGES),
    }
    return render(request, "activity/history.html", context)


@staff_member_required
def detail(request: HttpRequest, transaction_id: str) -> HttpResponse:
    """One transaction: summary, decision timeline, request and response diffs."""
    row = transaction_detail(transaction_id=transaction_id)
    if row is None:
        missing = {"nav": "history", "transaction_id": transaction_id}
        return render(request, "activity/missing.html", missing, status=404)
    body = transaction_body(row)
    context: dict[str, Any] = {
        "nav": "history",
        "tx": row,
        "has_body": body is not None,
        "events": list(row.events.all()),
        "approvals": approvals_of_transaction(transaction_id=row.id),
        "diffs": transaction_diffs(body),
        "admin_url": reverse("admin:activity_transaction_change", args=[row.id]),
        "debug_url": f"/api/admin/debug/transactions/{row.id}",
    }
    return render(request, "activity/detail.html", context)


async def stream(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Live events as Server-Sent Events: staff session or `Authorization: Bearer <admin key>`."""
    if not admin_key_matches(request):
        user = await request.auser()
        if not user.is_authenticated:
            response = HttpResponse(
                "authentication required\n", status=401, content_type="text/plain"
            )
            response["WWW-Authenticate"] = 'Bearer realm="luthien"'
            return response
        if not may_watch(user):
            return HttpResponse("staff only\n", status=403, content_type="text/plain")
    events = StreamingHttpResponse(live_event_stream(), content_type="text/event-stream")
    events["Cache-Control"] = "no-cache"
    events["X-Accel-Buffering"] = "no"
    return events


def staff_json(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like `staff_member_required`, but answers JSON 403 instead of redirecting."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_staff):
            return JsonResponse({"detail": "staff only"}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@staff_json
def first_for_policy(request: HttpRequest) -> JsonResponse:
    """`?policy=<name>&version=<v>&after=<iso time>`: the first transaction that policy version
    handled (the policy page polls it to show a test request arriving)."""
    after = parse_datetime(request.GET.get("after", "").replace(" ", "+"))
    if after is not None and timezone.is_naive(after):
        after = timezone.make_aware(after, UTC)
    version = request.GET.get("version", "")
    if after is None or not version.lstrip("-").isdigit() or not request.GET.get("policy"):
        return JsonResponse(
            {"detail": "policy, version and after (ISO time) are required"}, status=400
        )
    found = transaction_first_for_policy(
        policy_name=request.GET["policy"], version=int(version), after=after
    )
    if found is None:
        return JsonResponse({"found": False})
    found["started_at"] = found["started_at"].isoformat()
    found["url"] = f"/activity/{found['id']}/"
    return JsonResponse({"found": True, "transaction": found})
