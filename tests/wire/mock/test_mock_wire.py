"""Raw wire checks through `handle` and the transport: framing, headers, routes, error shapes."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from wire.mock.app import MockResponse, handle
from wire.mock.transport import MockUpstreamTransport

USER = [{"role": "user", "content": "hello there"}]


async def post(path: str, body: Any, headers: dict[str, str] | None = None) -> MockResponse:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return await handle("POST", path, headers or {}, raw)


async def events(response: MockResponse) -> list[bytes]:
    assert response.stream is not None
    return [chunk async for chunk in response.stream]


def header(response: MockResponse, name: str) -> str:
    return dict(response.headers)[name]


async def test_openai_stream_framing_and_headers() -> None:
    body = {
        "model": "mock/tools",
        "messages": USER,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    response = await post("/v1/chat/completions", body)
    assert response.status == 200
    assert header(response, "content-type") == "text/event-stream; charset=utf-8"
    assert header(response, "x-request-id").startswith("req_")
    chunks = await events(response)
    assert all(c.startswith(b"data: ") and c.endswith(b"\n\n") for c in chunks)
    assert chunks[-1] == b"data: [DONE]\n\n"
    payloads = [orjson.loads(c[6:]) for c in chunks[:-1]]
    assert all(p["object"] == "chat.completion.chunk" for p in payloads)
    assert len({p["id"] for p in payloads}) == 1
    assert all("usage" in p for p in payloads)
    assert payloads[-1]["choices"] == [] and payloads[-1]["usage"]["total_tokens"] > 0
    assert payloads[-2]["choices"][0]["finish_reason"] == "tool_calls"
    first = payloads[0]["choices"][0]["delta"]
    assert first["role"] == "assistant" and first["content"] is None and first["tool_calls"]


async def test_anthropic_stream_framing_and_headers() -> None:
    body = {"model": "tool", "max_tokens": 10, "messages": USER, "stream": True}
    response = await post("/v1/messages", body)
    assert header(response, "content-type") == "text/event-stream; charset=utf-8"
    assert header(response, "request-id").startswith("req_011C")
    names = []
    for chunk in await events(response):
        event_line, data_line, *rest = chunk.split(b"\n")
        assert rest == [b"", b""] and event_line.startswith(b"event: ")
        name = event_line[7:].decode()
        assert orjson.loads(data_line.removeprefix(b"data: "))["type"] == name
        names.append(name)
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]


@pytest.mark.parametrize(
    "path", ["/v1/chat/completions", "/chat/completions", "/openai/v1/chat/completions"]
)
async def test_openai_paths(path: str) -> None:
    response = await post(path, {"model": "echo", "messages": USER})
    assert response.status == 200
    assert (
        orjson.loads(response.body)["choices"][0]["message"]["content"] == "You said: hello there"
    )
    assert header(response, "content-length") == str(len(response.body))


@pytest.mark.parametrize("path", ["/v1/messages", "/messages"])
async def test_anthropic_paths(path: str) -> None:
    response = await post(path, {"model": "mock/echo", "max_tokens": 5, "messages": USER})
    assert orjson.loads(response.body)["content"] == [
        {"type": "text", "text": "You said: hello there"}
    ]


@pytest.mark.parametrize(
    "body", [b"{not json", b"[]", {"model": "echo"}, {"model": "echo", "messages": []}]
)
async def test_bad_requests_are_400_in_each_shape(body: Any) -> None:
    openai_error = await post("/v1/chat/completions", body)
    assert openai_error.status == 400
    assert orjson.loads(openai_error.body)["error"]["type"] == "invalid_request_error"
    anthropic_error = await post("/v1/messages", body)
    assert anthropic_error.status == 400
    parsed = orjson.loads(anthropic_error.body)
    assert parsed["type"] == "error" and parsed["error"]["type"] == "invalid_request_error"
    assert parsed["request_id"] == header(anthropic_error, "request-id")


async def test_bad_option_is_400() -> None:
    response = await post(
        "/v1/messages", {"model": "text?chunks=-1", "max_tokens": 5, "messages": USER}
    )
    assert response.status == 400
    assert "chunks" in orjson.loads(response.body)["error"]["message"]


async def test_unknown_route_is_404() -> None:
    response = await handle("POST", "/v1/embeddings", {}, b"{}")
    assert response.status == 404 and "error" in orjson.loads(response.body)


async def test_midstream_error_openai_has_no_done() -> None:
    response = await post(
        "/v1/chat/completions", {"model": "midstream-error", "messages": USER, "stream": True}
    )
    chunks = await events(response)
    assert b"[DONE]" not in chunks[-1]
    assert orjson.loads(chunks[-1][6:])["error"]["type"] == "server_error"


async def test_midstream_error_non_streaming_is_an_error_status() -> None:
    body = {"model": "midstream-error?status=529", "max_tokens": 5, "messages": USER}
    response = await post("/v1/messages", body)
    assert response.status == 529
    assert orjson.loads(response.body)["error"]["type"] == "overloaded_error"


async def test_models_in_both_shapes() -> None:
    openai_list = orjson.loads((await handle("GET", "/v1/models", {}, b"")).body)
    assert openai_list["object"] == "list" and openai_list["data"][0]["id"] == "mock/echo"
    anthropic_list = await handle("GET", "/v1/models", {"Anthropic-Version": "2023-06-01"}, b"")
    parsed = orjson.loads(anthropic_list.body)
    assert parsed["has_more"] is False and parsed["data"][0]["type"] == "model"


async def test_count_tokens_matches_the_input_usage_of_messages() -> None:
    body = {
        "model": "echo",
        "system": [{"type": "text", "text": "you are terse"}],
        "messages": [
            *USER,
            {"role": "assistant", "content": "hi"},
            {"role": "user", "content": "ok"},
        ],
    }
    counted = await post("/v1/messages/count_tokens", body)
    assert orjson.loads(counted.body) == {"input_tokens": 7}  # 3 + 2 + 1 + 1 words
    answered = await post("/v1/messages", {**body, "max_tokens": 5})
    assert orjson.loads(answered.body)["usage"]["input_tokens"] == 7
    overridden = await post("/v1/messages/count_tokens", {**body, "model": "echo?usage_in=900"})
    assert orjson.loads(overridden.body) == {"input_tokens": 900}


@pytest.mark.parametrize(
    ("model", "status", "error_type"),
    [("error?status=529", 529, "overloaded_error"), ("nope", 404, "not_found_error")],
)
async def test_count_tokens_honours_the_model(model: str, status: int, error_type: str) -> None:
    response = await post("/v1/messages/count_tokens", {"model": model, "messages": USER})
    assert response.status == status
    assert orjson.loads(response.body)["error"]["type"] == error_type


async def test_transport_streams_incrementally() -> None:
    """Each SSE event arrives as its own chunk, not buffered into one body."""
    body = {"model": "text?chunks=5", "messages": USER, "stream": True}
    async with (
        httpx.AsyncClient(transport=MockUpstreamTransport()) as client,
        client.stream("POST", "http://mock/v1/chat/completions", json=body) as response,
    ):
        chunks = [chunk async for chunk in response.aiter_raw()]
    assert len(chunks) == 8  # role, 5 words, finish, [DONE]


async def test_transport_abort_raises_remote_protocol_error() -> None:
    body = {"model": "text?abort_after=2", "max_tokens": 5, "messages": USER, "stream": True}
    received = []
    async with (
        httpx.AsyncClient(transport=MockUpstreamTransport()) as client,
        client.stream("POST", "http://mock/v1/messages", json=body) as response,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            async for chunk in response.aiter_raw():
                received.append(chunk)
    assert len(received) == 2
