"""Site-level endpoints: health (`/health`, `/health/live`, `/health/ready`) and `/metrics`."""

from __future__ import annotations

import hmac

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from luthien_site.health import check_health
from luthien_site.metrics_export import CONTENT_TYPE, render_metrics


async def health(request: HttpRequest) -> JsonResponse:
    """Every component's state and reason; 503 only when the worker is `down`."""
    found = await check_health()
    body = found.as_dict()
    return JsonResponse(body, status=503 if found.status == "down" else 200)


async def health_live(request: HttpRequest) -> JsonResponse:
    """The process answers (no I/O)."""
    return JsonResponse({"status": "ok"})


async def health_ready(request: HttpRequest) -> JsonResponse:
    """Whether this worker should receive traffic: 200, or 503 with the reasons."""
    found = await check_health()
    return JsonResponse(
        {"ready": found.ready, "not_ready": found.not_ready, "status": found.status},
        status=200 if found.ready else 503,
    )


def _bearer(request: HttpRequest) -> str:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else ""


def _may_scrape(request: HttpRequest) -> bool:
    token = _bearer(request)
    if token:
        for expected in (settings.LUTHIEN_METRICS_TOKEN, settings.ADMIN_API_KEY):
            if expected and hmac.compare_digest(token.encode(), expected.encode()):
                return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


async def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for `Authorization: Bearer <LUTHIEN_METRICS_TOKEN or ADMIN_API_KEY>`
    or a staff session (else 401); `LUTHIEN_METRICS_PORT` serves them without a token."""
    allowed = await sync_to_async(_may_scrape)(request)
    if not allowed:
        return JsonResponse(
            {"error": "metrics need `Authorization: Bearer <LUTHIEN_METRICS_TOKEN>`"},
            status=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE)
