"""Fault suite, hostile input: malformed Server-Sent Events from the upstream (Hypothesis).

The upstream answers 200 `text/event-stream` with whatever Hypothesis makes: events of the
format's own types with fields of the wrong type or missing, data that is not JSON, unknown
event names, comments, stray fields, bytes that are not UTF-8, any line ending, split into
chunks anywhere. Through the whole production path (lane, pipeline, stream decoder, policy,
encoder) the client must get a well-formed stream in its own format: every event's data is
JSON (or OpenAI's `[DONE]`), and the stream ends either as the format ends a stream or with an
error event of that format. Nothing raises out of the application.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway import upstream_call
from tests.gateway.integration.conftest import Proxy, read_stream
from tests.gateway.integration.sse_helpers import sse_events

pytestmark = pytest.mark.faults

EVENT_TYPES = {
    "openai": ["chat.completion.chunk"],
    "anthropic": [
        "message_start", "content_block_start", "content_block_delta", "content_block_stop",
        "message_delta", "message_stop", "ping", "error", "text_delta", "input_json_delta",
        "tool_use", "text", "thinking", "thinking_delta", "signature_delta",
    ],
    "responses": [
        "response.created", "response.in_progress", "response.output_item.added",
        "response.content_part.added", "response.output_text.delta", "response.output_text.done",
        "response.function_call_arguments.delta", "response.output_item.done",
        "response.completed", "response.failed", "error", "message", "function_call",
        "output_text", "reasoning",
    ],
}  # fmt: skip
FIELDS = [
    "type", "index", "id", "delta", "text", "content", "choices", "tool_calls", "function",
    "name", "arguments", "finish_reason", "usage", "message", "content_block", "partial_json",
    "item", "output_index", "content_index", "item_id", "response", "output", "status",
    "role", "error", "stop_reason", "input_tokens", "output_tokens", "model", "object",
]  # fmt: skip


def _json_values(format_name: str) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-2, 3),
        st.text(max_size=6),
        st.sampled_from(EVENT_TYPES[format_name]),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4),
        ),
        max_leaves=12,
    )


def _events(format_name: str) -> st.SearchStrategy[bytes]:
    """One SSE frame: a format-shaped event with junk fields, or plain junk."""
    values = _json_values(format_name)
    shaped = st.builds(
        lambda kind, fields: {"type": kind, **fields},
        st.sampled_from(EVENT_TYPES[format_name]),
        st.dictionaries(st.sampled_from(FIELDS), values, max_size=5),
    )
    data = st.one_of(
        shaped.map(orjson.dumps),
        values.map(orjson.dumps),
        st.binary(max_size=12),
        st.just(b"[DONE]"),
        st.text(max_size=12).map(str.encode),
    )
    named = st.builds(
        lambda name, payload, end: b"event: " + name.encode() + end + b"data: " + payload + end,
        st.sampled_from(EVENT_TYPES[format_name]) | st.text(max_size=5),
        data,
        st.sampled_from([b"\n", b"\r\n", b"\r"]),
    )
    plain = st.builds(lambda payload: b"data: " + payload + b"\n", data)
    stray = st.sampled_from([b": comment\n", b"retry: x\n", b"id: 7\n", b"data\n", b"\n", b":"])
    return st.one_of(named, plain, stray, st.binary(max_size=8)).map(lambda frame: frame + b"\n")


def _bodies(format_name: str) -> st.SearchStrategy[list[bytes]]:
    """A whole upstream body, cut into chunks at arbitrary points."""

    def cut(body: bytes, points: list[int]) -> list[bytes]:
        edges = sorted({0, len(body), *(p % (len(body) + 1) for p in points)})
        return [body[a:b] for a, b in itertools.pairwise(edges) if body[a:b]]

    return st.builds(
        cut,
        st.lists(_events(format_name), max_size=8).map(b"".join),
        st.lists(st.integers(0, 10_000), max_size=6),
    )


class Upstream:
    """The fake upstream's next answer."""

    chunks: list[bytes] = []


@pytest.fixture
def upstream(monkeypatch: pytest.MonkeyPatch) -> Upstream:
    holder = Upstream()

    async def body() -> AsyncIterator[bytes]:
        for chunk in holder.chunks:
            yield chunk

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body(), headers={"content-type": "text/event-stream"})

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    monkeypatch.setattr(upstream_call, "http_client", lambda: client)
    return holder


FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


def _well_formed(raw: bytes) -> list[tuple[str | None, Any]]:
    events = []
    for name, data in sse_events(raw):
        events.append((name, data if data == "[DONE]" else json.loads(data)))
    assert events, raw
    return events


async def _call(proxy: Proxy, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return await proxy.client.post(
        path, data=orjson.dumps(body), content_type="application/json", headers=headers
    )


USER = [{"role": "user", "content": "hi"}]


@FUZZ
@given(chunks=_bodies("openai"))
async def test_openai_client_gets_a_clean_stream_or_error(
    proxy: Proxy, upstream: Upstream, chunks: list[bytes]
) -> None:
    upstream.chunks = chunks
    response = await proxy.openai({"model": "mock/echo", "stream": True, "messages": USER})
    assert response.status_code == 200
    events = _well_formed(await read_stream(response))
    assert events[-1] == (None, "[DONE]")
    errors = [data["error"] for _, data in events[:-1] if "error" in data]
    assert all({"message", "type"} <= set(error) for error in errors)


@FUZZ
@given(chunks=_bodies("anthropic"))
async def test_anthropic_client_gets_a_clean_stream_or_error(
    proxy: Proxy, upstream: Upstream, chunks: list[bytes]
) -> None:
    upstream.chunks = chunks
    response = await proxy.anthropic(
        {"model": "mock/echo", "stream": True, "max_tokens": 10, "messages": USER}
    )
    assert response.status_code == 200
    events = _well_formed(await read_stream(response))
    last_name, last = events[-1]
    assert last_name in ("message_stop", "error"), events[-3:]
    if last_name == "error":
        assert last["type"] == "error" and {"type", "message"} <= set(last["error"])
    # (unknown events pass through unchanged, as the upstream named them: transparency)


@FUZZ
@given(chunks=_bodies("responses"))
async def test_responses_client_gets_a_clean_stream_or_error(
    proxy: Proxy, upstream: Upstream, chunks: list[bytes]
) -> None:
    upstream.chunks = chunks
    response = await _call(
        proxy,
        "/v1/responses",
        {"model": "mock/echo", "stream": True, "input": "hi"},
        {"authorization": f"Bearer {proxy.key}"},
    )
    assert response.status_code == 200
    events = _well_formed(await read_stream(response))
    last_name, _ = events[-1]
    assert last_name in ("response.completed", "response.failed", "response.incomplete", "error")
