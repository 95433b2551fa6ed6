"""Fixtures for the proxy endpoints through Django's async test client and the in-process mock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from django.test import AsyncClient

from activity.recorder import recorder, reset_recorder


@pytest.fixture
def api_key(transactional_db: None) -> str:
    """A fresh client key's secret."""
    from gateway.keys import api_key_create

    _, secret = api_key_create(name="test-client", may_override_policy=True)
    return secret


@pytest.fixture
def plain_key(transactional_db: None) -> str:
    """A key that may not override the policy."""
    from gateway.keys import api_key_create

    _, secret = api_key_create(name="plain-client")
    return secret


@pytest.fixture(autouse=True)
def _recorder(transactional_db: None) -> Iterator[None]:
    """Proxy tests commit data (the writer thread must see it) and wait for the writer."""
    reset_recorder()
    yield
    recorder().flush(timeout=10)


class Proxy:
    """Small helper around AsyncClient for the two APIs."""

    def __init__(self, key: str) -> None:
        self.client = AsyncClient()
        self.key = key

    async def openai(self, body: dict[str, Any] | bytes, **headers: str) -> Any:
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        return await self.client.post(
            "/v1/chat/completions",
            data=data,
            content_type="application/json",
            headers={"authorization": f"Bearer {self.key}", **headers},
        )

    async def anthropic(self, body: dict[str, Any] | bytes, **headers: str) -> Any:
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        return await self.client.post(
            "/v1/messages",
            data=data,
            content_type="application/json",
            headers={"x-api-key": self.key, "anthropic-version": "2023-06-01", **headers},
        )


@pytest.fixture
def proxy(api_key: str) -> Proxy:
    """The proxy helper authenticated with `api_key`."""
    return Proxy(api_key)


async def read_stream(response: Any) -> bytes:
    """All bytes of a streaming response."""
    chunks = [chunk async for chunk in response.streaming_content]
    return b"".join(chunks)
