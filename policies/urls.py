"""Page routes of the policies app (the policy page)."""

from __future__ import annotations

from typing import Any

urlpatterns: list[Any] = []
