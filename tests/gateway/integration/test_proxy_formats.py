"""Both APIs through the pipeline and the in-process mock: text, tools, streaming and not."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async

from activity.models import Transaction
from activity.recorder import recorder
from tests.gateway.integration.conftest import Proxy, read_stream
from tests.gateway.integration.sse_helpers import (
    anthropic_stream_text,
    openai_stream_text,
    sse_events,
)

USER = [{"role": "user", "content": "hello there"}]


async def _stored(transaction_id: str) -> Transaction:
    await sync_to_async(recorder().flush)(10)
    return await Transaction.objects.select_related("body").aget(id=transaction_id)


async def test_openai_non_streaming_echo_is_recorded(proxy: Proxy) -> None:
    response = await proxy.openai({"model": "mock/echo", "messages": USER})
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["content"] == "You said: hello there"
    assert body["choices"][0]["finish_reason"] == "stop"
    assert float(response["x-luthien-overhead-ms"]) >= 0
    row = await _stored(response["x-luthien-transaction-id"])
    assert row.status == "completed"
    assert row.client_format == "openai"
    assert row.upstream == "mock" and row.model == "mock/echo"
    assert row.body.request_original["messages"] == USER
    assert row.body.request_final["model"] == "echo"
    assert row.body.response_final == body
    assert row.overhead_ms is not None and row.latency_ms >= row.overhead_ms


async def test_anthropic_non_streaming_echo(proxy: Proxy) -> None:
    response = await proxy.anthropic({"model": "mock/echo", "max_tokens": 50, "messages": USER})
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["type"] == "message"
    assert body["content"] == [{"type": "text", "text": "You said: hello there"}]
    assert body["stop_reason"] == "end_turn"
    assert body["usage"]["output_tokens"] > 0
    row = await _stored(response["x-luthien-transaction-id"])
    assert row.client_format == "anthropic" and row.status == "completed"
    assert row.output_tokens == body["usage"]["output_tokens"]


async def test_openai_stream_text_ends_with_done(proxy: Proxy) -> None:
    response = await proxy.openai(
        {
            "model": "mock/text?chunks=12",
            "messages": USER,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    )
    assert response.status_code == 200
    assert response["content-type"].startswith("text/event-stream")
    raw = await read_stream(response)
    text, calls, finish = openai_stream_text(raw)
    assert len(text.split()) == 12 and calls == [] and finish == "stop"
    events = sse_events(raw)
    assert events[-1][1] == "[DONE]"
    usage_chunks = [json.loads(d) for _, d in events[:-1] if json.loads(d).get("usage")]
    assert usage_chunks and usage_chunks[-1]["choices"] == []
    row = await _stored(response["x-luthien-transaction-id"])
    assert row.stream and row.status == "completed"
    assert row.first_byte_at is not None
    assert row.body.response_final["choices"][0]["message"]["content"] == text
    assert row.body.response_original["choices"][0]["message"]["content"] == text


async def test_anthropic_stream_text_ends_with_message_stop(proxy: Proxy) -> None:
    response = await proxy.anthropic(
        {"model": "mock/text?chunks=7", "max_tokens": 50, "messages": USER, "stream": True}
    )
    raw = await read_stream(response)
    names = [name for name, _ in sse_events(raw)]
    assert names[0] == "message_start" and names[-1] == "message_stop"
    text, calls, stop = anthropic_stream_text(raw)
    assert len(text.split()) == 7 and calls == [] and stop == "end_turn"


@pytest.mark.parametrize("stream", [False, True])
async def test_openai_tool_call(proxy: Proxy, stream: bool) -> None:
    body = {
        "model": "mock/tool",
        "messages": [{"role": "user", "content": "ls -la"}],
        "stream": stream,
    }
    response = await proxy.openai(body)
    assert response.status_code == 200
    if stream:
        _text, calls, finish = openai_stream_text(await read_stream(response))
    else:
        message = json.loads(response.content)["choices"][0]
        finish = message["finish_reason"]
        calls = [c["function"] for c in message["message"]["tool_calls"]]
    assert finish == "tool_calls"
    assert calls[0]["name"] == "Bash"
    assert json.loads(calls[0]["arguments"]) == {"command": "ls -la"}


@pytest.mark.parametrize("stream", [False, True])
async def test_anthropic_two_tool_calls(proxy: Proxy, stream: bool) -> None:
    body = {
        "model": "mock/tools",
        "max_tokens": 100,
        "stream": stream,
        "messages": [{"role": "user", "content": "pwd"}],
    }
    response = await proxy.anthropic(body)
    assert response.status_code == 200
    if stream:
        _, calls, stop = anthropic_stream_text(await read_stream(response))
        args = [json.loads(c["arguments"]) for c in calls]
    else:
        message = json.loads(response.content)
        stop = message["stop_reason"]
        calls = [b for b in message["content"] if b["type"] == "tool_use"]
        args = [c["input"] for c in calls]
    assert stop == "tool_use"
    assert [c["name"] for c in calls] == ["Bash", "Read"]
    assert args == [{"command": "pwd"}, {"file_path": "README.md"}]


async def test_anthropic_thinking_passes_through_streamed(proxy: Proxy) -> None:
    response = await proxy.anthropic(
        {"model": "mock/thinking", "max_tokens": 100, "stream": True, "messages": USER}
    )
    raw = await read_stream(response)
    deltas = [
        json.loads(d)["delta"]["type"] for n, d in sse_events(raw) if n == "content_block_delta"
    ]
    assert "thinking_delta" in deltas and "signature_delta" in deltas
    starts = [
        json.loads(d)["content_block"]["type"]
        for n, d in sse_events(raw)
        if n == "content_block_start"
    ]
    assert starts[0] == "thinking"


async def test_multi_turn_with_tool_result(proxy: Proxy) -> None:
    messages = [
        {"role": "user", "content": "list files"},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls"}}
            ],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "a.txt"}],
        },
        {"role": "user", "content": "thanks"},
    ]
    response = await proxy.anthropic({"model": "mock/echo", "max_tokens": 20, "messages": messages})
    assert response.status_code == 200
    assert json.loads(response.content)["content"][0]["text"] == "You said: thanks"


async def test_models_and_health(proxy: Proxy) -> None:
    models = await proxy.client.get("/v1/models", headers={"authorization": f"Bearer {proxy.key}"})
    assert "mock/echo" in [m["id"] for m in json.loads(models.content)["data"]]
    health = await proxy.client.get("/health")
    assert json.loads(health.content)["status"] == "ok"
    docs = await proxy.client.get("/v1/openapi.json")
    assert "/v1/chat/completions" in json.loads(docs.content)["paths"]


async def test_openai_stream_usage_recorded_even_when_client_did_not_ask(proxy: Proxy) -> None:
    response = await proxy.openai({"model": "mock/text?chunks=5", "messages": USER, "stream": True})
    raw = await read_stream(response)
    chunks = [json.loads(d) for _, d in sse_events(raw) if d != "[DONE]"]
    assert all(chunk["choices"] for chunk in chunks)  # no usage chunk for this client
    row = await _stored(response["x-luthien-transaction-id"])
    assert row.output_tokens == 5
    assert row.body.request_final["stream_options"] == {"include_usage": True}
    assert "stream_options" not in row.body.request_original
