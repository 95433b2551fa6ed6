"""WebSocket URL routes."""

from __future__ import annotations

from typing import Any

from django.urls import path

from activity.consumers import ActivityConsumer

websocket_urlpatterns: list[Any] = [
    path("ws/activity/", ActivityConsumer.as_asgi()),
]
