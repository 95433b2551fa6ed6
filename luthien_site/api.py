"""The NinjaAPI instances: the proxy API under /v1 and the admin API under /api/admin."""

from __future__ import annotations

from django.db import DataError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from activity.api import router as activity_debug_router
from activity.session_api import router as sessions_router
from gateway.admin_api import router as keys_router
from gateway.api import router as proxy_router
from policies.api import router as policies_router
from policies.approvals.api import router as approvals_router

proxy_api = NinjaAPI(
    title="Luthien gateway",
    version="1",
    description="OpenAI- and Anthropic-compatible endpoints; every call goes through the "
    "active policy.",
    urls_namespace="proxy",
    docs_url="/docs",
)
proxy_api.add_router("/", proxy_router)

admin_api = NinjaAPI(
    title="Luthien admin API",
    version="1",
    description="Manage policies, key assignments, sessions and held tool calls. "
    "`Authorization: Bearer $ADMIN_API_KEY` or a staff session.",
    urls_namespace="admin_api",
    docs_url="/docs",
)


@admin_api.exception_handler(DataError)
def _unstorable_value(request: HttpRequest, error: DataError) -> HttpResponse:
    """A value the database refuses (a NUL character, a number out of range) is the client's
    mistake: 400, not a server error (found by the fault suite's schemathesis run)."""
    return admin_api.create_response(
        request, {"detail": f"a value the database cannot store: {error}"}, status=400
    )


admin_api.add_router("/", policies_router)
admin_api.add_router("/", keys_router)
admin_api.add_router("/sessions", sessions_router)
admin_api.add_router("/approvals", approvals_router)
admin_api.add_router("/debug", activity_debug_router)
