"""Fixtures for the live activity tests: a fresh channel layer and broadcaster, staff users,
and the proxy helper of the integration tests (real requests through the pipeline)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from activity.broadcast import reset_broadcaster
from activity.recorder import recorder
from tests.gateway.integration.conftest import Proxy

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def layer_settings(backend: str, **config: Any) -> dict[str, Any]:
    """A CHANNEL_LAYERS value with one default layer."""
    return {"default": {"BACKEND": backend, "CONFIG": config}}


@pytest.fixture(autouse=True)
def _fresh_live(settings: Any) -> Iterator[None]:
    """Each test gets its own in-memory layer (other runs sharing a Redis must not leak in) and
    a new broadcaster; tests that want Redis or a broken layer override CHANNEL_LAYERS."""
    settings.CHANNEL_LAYERS = IN_MEMORY
    settings.LUTHIEN_BROADCAST = True
    reset_broadcaster()
    yield
    reset_broadcaster()


@pytest.fixture
def api_key(transactional_db: None) -> str:
    """A client key's secret (committed: the request runs in another thread's connection)."""
    from gateway.keys import api_key_create

    _, secret = api_key_create(name="live-client", may_override_policy=True)
    return secret


@pytest.fixture
def proxy(api_key: str) -> Iterator[Proxy]:
    """Real proxied requests through Django's AsyncClient and the in-process mock; the recorder
    is flushed before the database goes away."""
    yield Proxy(api_key)
    recorder().flush(timeout=10)


UserFactory = Callable[..., Any]


@pytest.fixture
def make_user(transactional_db: None) -> UserFactory:
    """Create a user: `make_user("alice", staff=True)`."""
    from django.contrib.auth import get_user_model

    def factory(username: str, *, staff: bool = False) -> Any:
        return get_user_model().objects.create_user(
            username=username, password="pw-" + username, is_staff=staff
        )

    return factory


@pytest.fixture
def staff_user(make_user: UserFactory) -> Any:
    """An active staff user."""
    return make_user("watcher", staff=True)


async def session_cookie(user: Any) -> str:
    """A `sessionid=…` cookie header value for `user` (logged in through the test client)."""
    client = Client()
    await sync_to_async(client.force_login)(user)
    return f"sessionid={client.cookies['sessionid'].value}"
