"""Site-level endpoints: health and metrics."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


async def health(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness: the gateway serves even while the database is down (it spills)."""
    from activity.broadcast import broadcaster
    from activity.recorder import recorder

    database = await sync_to_async(_database_ok)()
    return JsonResponse(
        {
            "status": "ok",
            "database": "ok" if database else "down",
            "recorder": recorder().stats(),
            "broadcast": broadcaster().stats(),
        }
    )


async def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics."""
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
