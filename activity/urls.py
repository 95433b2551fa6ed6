"""Page routes of the activity app (live monitor, history, sessions, detail, SSE stream).

The debug JSON endpoints live in `activity.api` (mounted under `/api/admin/debug/`), the
WebSocket route in `luthien_site.routing`.
"""

from __future__ import annotations

from django.urls import path, re_path

from activity import session_views, views

app_name = "activity"

urlpatterns = [
    path("", views.history, name="history"),
    re_path(r"^monitor/?$", views.monitor, name="monitor"),
    re_path(r"^stream/?$", views.stream, name="stream"),
    path("first-for-policy", views.first_for_policy, name="first-for-policy"),
    path("sessions/", session_views.sessions, name="sessions"),
    path(
        "sessions/<path:session_id>/clear",
        session_views.session_clear_view,
        name="session-clear",
    ),
    path("sessions/<path:session_id>/", session_views.session, name="session"),
    path("<str:transaction_id>/", views.detail, name="detail"),
]
