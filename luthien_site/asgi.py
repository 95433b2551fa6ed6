"""ASGI entry point: `/v1/` through the fast lane, other HTTP through Django, WebSockets
through Channels, plus lifespan.

On shutdown the recorder is flushed and the shared HTTP client closed.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luthien_site.settings")

from django.core.asgi import get_asgi_application

django_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from gateway.asgi_lane import in_lane, serve  # noqa: E402
from luthien_site.lifespan import handle_lifespan  # noqa: E402
from luthien_site.routing import websocket_urlpatterns  # noqa: E402

_router = ProtocolTypeRouter(
    {
        "http": django_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The ASGI application: lifespan handled here, `/v1/` by the fast lane
    (`gateway.asgi_lane`), everything else by Django and Channels."""
    if scope["type"] == "lifespan":
        await handle_lifespan(receive, send)
        return
    if in_lane(scope):
        await serve(scope, receive, send)
        return
    await _router(scope, receive, send)
