"""Fixtures for the live activity tests: a fresh channel layer, audience and broadcaster, a
watcher, staff users, and the proxy helper of the integration tests (real requests through the
pipeline)."""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
import redis
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.test import Client

from activity.audience import audience, presence_key
from activity.live_events import GROUP
from activity.recorder import recorder
from tests.gateway.integration.conftest import Proxy

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def layer_settings(backend: str, **config: Any) -> dict[str, Any]:
    """A CHANNEL_LAYERS value with one default layer."""
    return {"default": {"BACKEND": backend, "CONFIG": config}}


@pytest.fixture(autouse=True)
def _fresh_live(settings: Any) -> None:
    """Each test gets its own in-memory layer (other runs sharing a Redis must not leak in; the
    audience and broadcaster are new per test, `tests/conftest.py`); tests that want Redis or
    a broken layer override CHANNEL_LAYERS."""
    settings.CHANNEL_LAYERS = IN_MEMORY
    settings.LUTHIEN_BROADCAST = True


@pytest.fixture
async def redis_layer(settings: Any, redis_url: str) -> AsyncIterator[dict[str, Any]]:
    """CHANNEL_LAYERS on Redis with a private prefix (so runs sharing a Redis do not see each
    other's events nor viewers), REDIS_URL the same Redis; returns the layer config. At the end
    the audience's tasks stop and its presence key is deleted."""
    config = {"hosts": [redis_url], "prefix": f"luthien-test-{uuid.uuid4().hex[:8]}"}
    settings.REDIS_URL = redis_url
    settings.CHANNEL_LAYERS = layer_settings("channels_redis.core.RedisChannelLayer", **config)
    yield config
    await audience().aclose()
    client = redis.Redis.from_url(redis_url)
    client.delete(presence_key(config["prefix"]))
    client.close()


async def eventually(
    check: Callable[[], Awaitable[bool] | bool], expected: bool = True, within: float = 5.0
) -> bool:
    """Call (and await) `check` until it returns `expected`; False if it did not `within`
    seconds."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result == expected:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.02)


async def add_watcher() -> str:
    """Someone watching: a new channel in the `activity` group of the current (in-memory)
    layer, registered with the audience as the consumer or the SSE stream does; without one,
    the broadcast tap sends nothing. Call it after changing CHANNEL_LAYERS; returns the
    channel."""
    layer = get_channel_layer()
    channel: str = await layer.new_channel()
    await layer.group_add(GROUP, channel)
    audience().joined(channel)
    return channel


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
