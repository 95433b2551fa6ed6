"""Page routes of the approval queue (`/approvals/`); the admin API is `policies.approvals.api`."""

from __future__ import annotations

from django.urls import path

from activity import approval_pages

app_name = "approvals"

urlpatterns = [
    path("", approval_pages.approvals, name="list"),
    path("cards", approval_pages.cards, name="cards"),
    path("<str:approval_id>/decide", approval_pages.decide, name="decide"),
]
