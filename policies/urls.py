"""Page routes of the policies app (the policy page)."""

from __future__ import annotations

from django.urls import path

from policies import views

app_name = "policies"

urlpatterns = [
    path("policies/", views.policy_page, name="page"),
    path("policies/enable", views.policy_enable_view, name="enable"),
]
