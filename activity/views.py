"""Pages of the activity app: live monitor, history list, transaction detail, SSE stream.

Views are thin: filters, queries and diffs come from `activity.selectors` and
`activity.diffs`; the SSE body from `activity.sse`. Every page needs an active staff user
(anonymous visitors are sent to the login page); the stream also accepts the admin key.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse

from activity.api import admin_key_matches, may_watch
from activity.diffs import transaction_diffs
from activity.live_events import PREVIEW_CHARS
from activity.records import STATUSES
from activity.selectors import (
    RANGES,
    TransactionFilters,
    transaction_body,
    transaction_detail,
    transaction_list,
    transaction_page,
)
from activity.sse import live_event_stream
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
