"""Upstream faults that the mock cannot produce: a stream cut off cleanly, compressed bodies."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from gateway import upstream_call
from tests.gateway.integration.conftest import Proxy, read_stream
from tests.gateway.integration.sse_helpers import openai_stream_text, sse_events

CUT_STREAM = (
    b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
    b'"choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},'
    b'"finish_reason":null}]}\n\n'
)


@pytest.fixture
def fake_upstream(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    seen: list[httpx.Request] = []

    async def body() -> Any:
        yield CUT_STREAM

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=body(), headers={"content-type": "text/event-stream"})

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    monkeypatch.setattr(upstream_call, "http_client", lambda: client)
    return seen


async def test_stream_cut_off_without_terminator_is_an_error(
    proxy: Proxy, fake_upstream: list[httpx.Request]
) -> None:
    response = await proxy.openai(
        {"model": "mock/echo", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    )
    raw = await read_stream(response)
    text, _, _ = openai_stream_text(raw)
    events = sse_events(raw)
    assert text == "Hel"
    assert events[-1][1] == "[DONE]"
    error = json.loads(events[-2][1])["error"]
    assert "before it was complete" in error["message"]
    assert error["type"] == "server_error"  # the OpenAI client's own vocabulary
    from tests.gateway.integration.test_proxy_errors import _row

    assert (await _row(response)).status == "upstream_error"


async def test_upstream_is_asked_for_uncompressed_bodies(
    proxy: Proxy, fake_upstream: list[httpx.Request]
) -> None:
    await read_stream(
        await proxy.openai(
            {"model": "mock/echo", "stream": True, "messages": [{"role": "user", "content": "x"}]}
        )
    )
    sent = fake_upstream[0].headers
    assert sent["accept-encoding"] == "identity"
    assert proxy.key not in sent.get("authorization", "")  # the gateway key is never forwarded


async def test_a_bug_while_streaming_ends_the_stream_with_an_error_event(
    proxy: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway import respond

    real_apply = respond.apply_policy

    async def broken(policy: Any, ctx: Any, batches: Any) -> Any:
        async for batch in real_apply(policy, ctx, batches):
            yield batch
            raise RuntimeError("engine bug")

    monkeypatch.setattr(respond, "apply_policy", broken)
    response = await proxy.anthropic(
        {
            "model": "mock/text?chunks=5",
            "stream": True,
            "max_tokens": 5,
            "messages": [{"role": "user", "content": "x"}],
        }
    )
    events = sse_events(await read_stream(response))
    assert events[-1][0] == "error"
    assert "internal error in the gateway (RuntimeError)" in events[-1][1]
    from tests.gateway.integration.test_proxy_errors import _row

    row = await _row(response)
    assert row.status == "policy_error" and "RuntimeError" in row.error


async def test_a_body_trickling_past_the_total_time_limit_is_a_504(
    proxy: Proxy, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """Bytes keep coming (so the read timeout never fires), but the whole call is bounded."""
    settings.LUTHIEN_UPSTREAM_TOTAL_TIMEOUT_S = 0.3

    async def trickle() -> Any:
        for piece in (b'{"id":"c1",', b'"object":"chat.completion",', b'"choices":[]}'):
            yield piece
            await asyncio.sleep(0.25)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=trickle(), headers={"content-type": "application/json"})

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    monkeypatch.setattr(upstream_call, "http_client", lambda: client)
    response = await proxy.openai(
        {"model": "mock/echo", "messages": [{"role": "user", "content": "x"}]}
    )
    assert response.status_code == 504
    error = json.loads(response.content)["error"]
    assert "total time limit" in error["message"]
    from tests.gateway.integration.test_proxy_errors import _row

    row = await _row(response)
    assert row.status == "upstream_error" and "total time limit" in row.error
