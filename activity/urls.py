"""Page routes of the activity app (live monitor, history, detail, SSE, debug)."""

from __future__ import annotations

from typing import Any

urlpatterns: list[Any] = []
