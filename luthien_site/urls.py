"""URL routing: proxy API, admin API, Django admin, health, metrics, pages."""

from django.contrib import admin
from django.urls import include, path

from luthien_site.api import admin_api, proxy_api
from luthien_site.views import health, health_live, health_ready, metrics

urlpatterns = [
    path("v1/", proxy_api.urls),
    path("api/admin/", admin_api.urls),
    path("admin/", admin.site.urls),
    path("health", health, name="health"),
    path("health/live", health_live, name="health-live"),
    path("health/ready", health_ready, name="health-ready"),
    path("metrics", metrics, name="metrics"),
    path("activity/", include("activity.urls")),
    path("approvals/", include("activity.approval_urls")),
    path("", include("policies.urls")),
]
