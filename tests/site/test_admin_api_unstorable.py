"""The admin API answers a value the database cannot store (a NUL character) with a 400, not a
server error (a case schemathesis found: `tests/e2e/faults/test_hostile_openapi.py`)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


@pytest.mark.django_db
def test_a_nul_character_in_a_filter_is_a_400(settings: Any, postgres_url: str) -> None:
    settings.ADMIN_API_KEY = "admin-key"
    answer = Client().get("/api/admin/approvals?status=%00", HTTP_AUTHORIZATION="Bearer admin-key")
    assert answer.status_code == 400
    assert "cannot store" in answer.json()["detail"]
