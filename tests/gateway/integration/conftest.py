"""Fixtures for the proxy endpoints: calls through the production ASGI application (and, for
the contract between the two entry paths, the ninja API too), with the in-process mock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
from django.test import AsyncClient

from activity.recorder import recorder
from luthien_site.asgi import application
from tests.lane import LaneClient


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
    yield
    recorder().flush(timeout=10)


class Proxy:
    """Calls the three APIs through the production entry path (`tests.lane`)."""

    def __init__(self, key: str) -> None:
        self.client = LaneClient()
        self.key = key

    async def openai(self, body: dict[str, Any] | bytes, **headers: str) -> Any:
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        return await self.client.post(
            "/v1/chat/completions",
            data=data,
            content_type="application/json",
            headers={"authorization": f"Bearer {self.key}", **headers},
        )

    async def responses(self, body: dict[str, Any] | bytes, **headers: str) -> Any:
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        return await self.client.post(
            "/v1/responses",
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


@dataclass(frozen=True)
class Reply:
    """What a client received: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


class V1Client:
    """One entry path to `/v1/`: `lane` is the production ASGI application (the fast lane for
    `/v1/`), `django` is Django's test client through the ninja API."""

    def __init__(self, entry: str) -> None:
        self.entry = entry
        self._lane = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://localhost"
        )
        self._django = AsyncClient()

    async def call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        content = orjson.dumps(body) if isinstance(body, dict) else body
        sent = {"content-type": "application/json", **(headers or {})} if content else headers
        if self.entry == "lane":
            answer = await self._lane.request(method, path, content=content, headers=sent)
            found = {name.lower(): value for name, value in answer.headers.items()}
            return Reply(answer.status_code, found, answer.content)
        response = await self._django.generic(
            method, path, data=content or b"", content_type="application/json", headers=headers
        )
        found = {name.lower(): value for name, value in response.items()}
        if response.streaming:
            return Reply(response.status_code, found, await read_stream(response))
        return Reply(response.status_code, found, response.content)

    async def aclose(self) -> None:
        await self._lane.aclose()


@pytest.fixture(params=["lane", "django"])
async def v1(request: pytest.FixtureRequest) -> AsyncIterator[V1Client]:
    """A `/v1/` client through each entry path in turn."""
    client = V1Client(request.param)
    yield client
    await client.aclose()
