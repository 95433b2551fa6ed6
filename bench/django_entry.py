"""`bench.django_entry:application`: the gateway with `/v1/` served by Django instead of the
ASGI lane, for `python -m bench --entry django`.

Django's own `ASGIHandler` with an empty middleware chain runs the ninja endpoints (the
alternative issue 11 asked to measure); every other path, WebSockets and lifespan are the
production application's. The measured result is in `docs/decisions.md`.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luthien_site.settings")

from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.exception import convert_exception_to_response

from luthien_site import asgi as production_asgi  # sets Django up first


class NoMiddlewareHandler(ASGIHandler):
    """Django's ASGI handler without any middleware: request → URL resolver → ninja view."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        self._middleware_chain = convert_exception_to_response(
            self._get_response_async  # type: ignore[attr-defined]
        )


_v1 = NoMiddlewareHandler()


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """`/v1/` through Django without middleware; everything else as in production."""
    if scope["type"] == "http" and production_asgi.in_lane(scope):
        await _v1(scope, receive, send)
        return
    await production_asgi.application(scope, receive, send)
