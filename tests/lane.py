"""A test client for the production entry path: `luthien_site.asgi.application` over ASGI.

`/v1/` calls take the ASGI lane as in production (not the ninja API, which only Django's test
client would reach). Replies offer the parts of Django's test-response API the tests use
(`status_code`, `content`, `json()`, `streaming`, `streaming_content`, header lookup by any
case), so a test reads the same either way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import orjson

from luthien_site.asgi import application


class Chunks:
    """A received body as both a sync and an async iterable of one chunk."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        yield self._body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._body


class LaneReply:
    """What the client received."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.content = response.content
        self.headers = {name.lower(): value for name, value in response.headers.items()}
        self.streaming = self.headers.get("content-type", "").startswith("text/event-stream")

    @property
    def streaming_content(self) -> Chunks:
        return Chunks(self.content)

    @property
    def text(self) -> str:
        return self.content.decode()

    def json(self) -> Any:
        return orjson.loads(self.content)

    def __getitem__(self, name: str) -> str:
        return self.headers[name.lower()]

    def __contains__(self, name: str) -> bool:
        return name.lower() in self.headers

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def has_header(self, name: str) -> bool:
        return name.lower() in self.headers

    def items(self) -> list[tuple[str, str]]:
        return list(self.headers.items())


class LaneClient:
    """`post`/`get`/`generic` like Django's `AsyncClient`, through the production application."""

    def __init__(self) -> None:
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://localhost"
        )

    async def generic(
        self,
        method: str,
        path: str,
        data: bytes | str = b"",
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> LaneReply:
        content = data.encode() if isinstance(data, str) else data
        sent = dict(headers or {})
        if content:
            sent.setdefault("content-type", content_type)
        response = await self._client.request(method, path, content=content, headers=sent)
        return LaneReply(response)

    async def post(
        self,
        path: str,
        data: bytes | str = b"",
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> LaneReply:
        return await self.generic("POST", path, data, content_type, headers)

    async def get(self, path: str, headers: dict[str, str] | None = None) -> LaneReply:
        return await self.generic("GET", path, headers=headers)
