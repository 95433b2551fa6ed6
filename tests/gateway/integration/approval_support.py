"""Helpers of the approval-queue tests: a raw ASGI call whose chunks can be watched as they
are sent (and which can disconnect), waiting on the queue, deciding through the admin API."""

from __future__ import annotations

import asyncio
import copy
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from luthien_site.asgi import application
from policies.approvals import selectors
from policies.models import PendingApproval
from tests.lane import LaneClient

ADMIN_KEY = "approvals-test-admin-key"
TOOL_TEXT = "I will clean the build directory."
COMMAND = "rm -rf build"


@pytest.fixture
async def fresh_channel_layer(settings: Any) -> AsyncIterator[None]:
    """A channel layer of this test's own event loop (channels_redis keeps per-layer receive
    state that must not cross loops), with a private prefix on a shared Redis."""
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    if "Redis" in layers["default"]["BACKEND"]:
        layers["default"].setdefault("CONFIG", {})["prefix"] = f"approvals-{uuid.uuid4().hex}"
    settings.CHANNEL_LAYERS = layers  # a changed setting makes channels build a new layer
    yield
    layer: Any = get_channel_layer()
    if hasattr(layer, "close_pools"):
        await layer.close_pools()


async def until(check: Callable[[], Any], what: str, within: float = 20.0) -> Any:
    """Await `check()` (sync or async) until it returns something truthy; fail after `within`."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def request_body(fmt: str, *, stream: bool, model: str = "mock/text-tool") -> dict[str, Any]:
    """A call whose mock answer is text, then `Bash {"command": COMMAND}`."""
    tool = (
        {"name": "Bash", "input_schema": {"type": "object"}}
        if fmt == "anthropic"
        else {"type": "function", "function": {"name": "Bash", "parameters": {"type": "object"}}}
    )
    body: dict[str, Any] = {
        "model": f"{model}?text={TOOL_TEXT.replace(' ', '%20')}",
        "messages": [{"role": "user", "content": COMMAND}],
        "tools": [tool],
        "stream": stream,
    }
    if fmt == "anthropic":
        body["max_tokens"] = 100
    return body


class RawCall:
    """One client call over raw ASGI: `chunks` fill as the gateway sends them; `disconnect()`
    makes the client leave."""

    def __init__(self, fmt: str, body: dict[str, Any], key: str) -> None:
        path = "/v1/messages" if fmt == "anthropic" else "/v1/chat/completions"
        auth = (
            [(b"x-api-key", key.encode()), (b"anthropic-version", b"2023-06-01")]
            if fmt == "anthropic"
            else [(b"authorization", f"Bearer {key}".encode())]
        )
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"content-type", b"application/json"), *auth],
            "client": ("127.0.0.1", 50000),
            "server": ("localhost", 80),
        }
        self.body = orjson.dumps(body)
        self.status: int | None = None
        self.chunks: list[bytes] = []
        self.done = False
        self._sent_body = False
        self._leave = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def start(self) -> RawCall:
        self.task = asyncio.ensure_future(application(self.scope, self._receive, self._send))
        return self

    async def _receive(self) -> dict[str, Any]:
        if not self._sent_body:
            self._sent_body = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        await self._leave.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                self.done = True

    @property
    def received(self) -> bytes:
        return b"".join(self.chunks)

    def disconnect(self) -> None:
        self._leave.set()

    async def finish(self) -> bytes:
        """Wait for the whole response; its body."""
        assert self.task is not None
        await asyncio.wait_for(asyncio.shield(self.task), timeout=30)
        self._leave.set()
        return self.received


async def pending_approval(within: float = 20.0) -> PendingApproval:
    """The (only) pending approval, once it exists."""

    def first() -> PendingApproval | None:
        return selectors.approval_pending_list().first()

    found: PendingApproval = await until(sync_to_async(first), "a pending approval", within)
    return found


async def approval_status(approval_id: Any) -> str:
    row = await sync_to_async(selectors.approval_get)(approval_id=approval_id)
    assert row is not None
    return str(row.status)


async def admin_post(path: str, payload: dict[str, Any]) -> Any:
    """POST to the admin API with the admin key (through the production application)."""
    reply = await LaneClient().post(
        path, orjson.dumps(payload), headers={"authorization": f"Bearer {ADMIN_KEY}"}
    )
    return reply


async def decide(approval_id: str, action: str, **payload: Any) -> Any:
    reply = await admin_post(f"/api/admin/approvals/{approval_id}/{action}", payload)
    assert reply.status_code == 200, reply.content
    return reply.json()


def waiting(call: RawCall, marker: bytes) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return marker in call.received

    return check
