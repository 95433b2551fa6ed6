"""The NinjaAPI instances: the proxy API under /v1 and the admin API under /api/admin."""

from __future__ import annotations

from ninja import NinjaAPI

from gateway.api import router as proxy_router

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
    description="Manage policies. `Authorization: Bearer $ADMIN_API_KEY` or a staff session.",
    urls_namespace="admin_api",
    docs_url="/docs",
)


def _mount_admin_routers() -> None:
    """Attach the admin routers of the apps (each app owns its router module)."""
    import importlib

    for module, prefix in (("policies.api", "/"), ("activity.api", "/debug")):
        try:
            router = importlib.import_module(module).router
        except ImportError:  # that app's admin API has not landed yet
            continue
        admin_api.add_router(prefix, router)


_mount_admin_routers()
