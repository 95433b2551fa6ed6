"""Session pages: the session list, one session's timeline, and the "Clear strikes" button.

Thin over `activity.sessions`. Every page needs staff; clearing also needs the
`activity.add_sessionclearance` permission (superusers have it).
"""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from activity.selectors import RANGES
from activity.sessions import session_clear, session_list, session_page

CLEAR_PERMISSION = "activity.add_sessionclearance"
DEFAULT_RANGE = "7d"


@staff_member_required
def sessions(request: HttpRequest) -> HttpResponse:
    """Sessions active in the chosen window (default 7 days), most recent first, with totals
    over that window's calls."""
    key = str(request.GET.get("key", "")).strip()[:200]
    window = str(request.GET.get("range", DEFAULT_RANGE))
    window = window if window in RANGES or window == "all" else DEFAULT_RANGE
    since = None if window == "all" else timezone.now() - RANGES[window]
    context = {
        "nav": "sessions",
        "sessions": session_list(key=key, since=since),
        "key": key,
        "range": window,
        "ranges": list(RANGES),
    }
    return render(request, "activity/sessions.html", context)


@staff_member_required
def session(request: HttpRequest, session_id: str) -> HttpResponse:
    """One session as a timeline of prompts, tool calls, results and decisions."""
    page = session_page(session_id=session_id)
    if page is None:
        missing = {"nav": "sessions", "session_id": session_id}
        return render(request, "activity/session_missing.html", missing, status=404)
    return render(request, "activity/session.html", {"nav": "sessions", "page": page})


@require_POST
@staff_member_required
def session_clear_view(request: HttpRequest, session_id: str) -> HttpResponse:
    """Clear the session's strikes, then show the session again."""
    if not request.user.has_perm(CLEAR_PERMISSION):
        return HttpResponseForbidden(f"clearing a session needs the {CLEAR_PERMISSION} permission")
    session_clear(session_id=session_id, actor=request.user.get_username())
    return redirect("activity:session", session_id=session_id)
