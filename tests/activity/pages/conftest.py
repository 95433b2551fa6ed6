"""Fixtures for the history pages and the debug API: staff, non-staff and anonymous clients."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

ADMIN_KEY = "adm-" + "p" * 40


@pytest.fixture
def staff_client(db: None) -> Client:
    """A client signed in as an active staff user."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username="reviewer", password="x", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def member_client(db: None) -> Client:
    """A client signed in as a user who is not staff."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username="member", password="x")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_key(settings: Any) -> str:
    """The admin API key, configured."""
    settings.ADMIN_API_KEY = ADMIN_KEY
    return ADMIN_KEY
