"""Page routes of the activity app (live monitor, history, detail, SSE stream).

The debug JSON endpoints live in `activity.api` (mounted under `/api/admin/debug/`), the
WebSocket route in `luthien_site.routing`.
"""

from __future__ import annotations

from django.urls import path, re_path

from activity import views

app_name = "activity"

urlpatterns = [
    path("", views.history, name="history"),
    re_path(r"^monitor/?$", views.monitor, name="monitor"),
    re_path(r"^stream/?$", views.stream, name="stream"),
    path("first-for-policy", views.first_for_policy, name="first-for-policy"),
    path("<str:transaction_id>/", views.detail, name="detail"),
]
