"""Translated calls through the real pipeline: an OpenAI client reaching an Anthropic-format
upstream and an Anthropic client an OpenAI-format one (both the in-process mock), streamed and
not, with tools, errors, usage and the record of both formats."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
from pydantic import TypeAdapter

from activity.models import Transaction, TransactionEvent
from activity.recorder import recorder
from tests.gateway.integration.conftest import Proxy, read_stream
from tests.gateway.integration.sse_helpers import (
    anthropic_stream_text,
    openai_stream_text,
    sse_events,
)
from wire.upstreams import MOCK_HOST, reset_upstreams

USER = [{"role": "user", "content": "rm -rf /tmp/x"}]
ANTHROPIC_EVENT = TypeAdapter(anthropic.types.RawMessageStreamEvent)


@pytest.fixture(autouse=True)
def cross_mock(settings: Any) -> Iterator[None]:
    """Both named upstreams are the in-process mock, each speaking its own format."""
    settings.ANTHROPIC_BASE_URL = MOCK_HOST
    settings.OPENAI_BASE_URL = MOCK_HOST + "/v1"
    reset_upstreams()
    yield
    reset_upstreams()


async def _row(response: Any) -> Transaction:
    recorder().flush(timeout=10)
    return await Transaction.objects.aget(id=response["x-luthien-transaction-id"])


async def _notes(response: Any) -> list[str]:
    recorder().flush(timeout=10)
    events = TransactionEvent.objects.filter(
        transaction_id=response["x-luthien-transaction-id"], policy="translation"
    )
    return [event.reason async for event in events]


# --- an OpenAI client, an Anthropic upstream ---------------------------------------------------


async def test_openai_client_text_from_anthropic_upstream(proxy: Proxy) -> None:
    body = {
        "model": "anthropic/echo",
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
    }
    response = await proxy.openai(body)
    assert response.status_code == 200, response.content
    completion = openai.types.chat.ChatCompletion.model_validate_json(response.content)
    assert completion.choices[0].message.content == "You said: hi"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.completion_tokens > 0
    row = await _row(response)
    assert (row.client_format, row.upstream_format, row.upstream) == (
        "openai",
        "anthropic",
        "anthropic",
    )
    assert any("max_tokens was not given: sent 4096" in n for n in await _notes(response))


async def test_openai_client_tool_calls_from_anthropic_upstream_stream(proxy: Proxy) -> None:
    tools = [
        {
            "type": "function",
            "function": {"name": "Bash", "parameters": {"type": "object", "properties": {}}},
        }
    ]
    body = {
        "model": "anthropic/tools",
        "messages": USER,
        "tools": tools,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    response = await proxy.openai(body)
    assert response.status_code == 200
    raw = await read_stream(response)
    for _, data in sse_events(raw):
        if data != "[DONE]":
            openai.types.chat.ChatCompletionChunk.model_validate_json(data)
    _, calls, finish = openai_stream_text(raw)
    assert [c["name"] for c in calls] == ["Bash", "Read"]
    assert json.loads(calls[0]["arguments"]) == {"command": "rm -rf /tmp/x"}
    assert finish == "tool_calls"
    usage = [json.loads(d) for _, d in sse_events(raw) if d != "[DONE]" and '"usage":{' in d]
    assert usage and usage[-1]["usage"]["total_tokens"] > 0


async def test_openai_client_tool_results_reach_anthropic_upstream(proxy: Proxy) -> None:
    messages = [
        *USER,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "Bash", "arguments": "{}"}},
                {"id": "c2", "type": "function", "function": {"name": "Read", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "done"},
        {"role": "tool", "tool_call_id": "c2", "content": "text"},
    ]
    response = await proxy.openai({"model": "anthropic/tool", "messages": messages})
    assert response.status_code == 200, response.content
    row = await _row(response)
    body = await _final_request(row)
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    results = body["messages"][2]["content"]
    assert [r["tool_use_id"] for r in results] == ["c1", "c2"]
    assert body["messages"][1]["content"][0] == {
        "type": "tool_use",
        "id": "c1",
        "name": "Bash",
        "input": {},
    }


async def test_anthropic_upstream_error_in_openai_shape(proxy: Proxy) -> None:
    response = await proxy.openai({"model": "anthropic/error?status=529", "messages": USER})
    assert response.status_code == 529
    error = response.json()["error"]
    assert error["type"] == "server_error" and error["message"]
    assert (await _row(response)).status == "upstream_error"


async def test_anthropic_midstream_error_in_openai_shape(proxy: Proxy) -> None:
    body = {"model": "anthropic/midstream-error?status=529", "messages": USER, "stream": True}
    raw = await read_stream(await proxy.openai(body))
    errors = [json.loads(d)["error"] for _, d in sse_events(raw) if '"error"' in d]
    assert errors and errors[0]["type"] == "server_error"


async def test_anthropic_thinking_dropped_for_openai_client(proxy: Proxy) -> None:
    body = {"model": "anthropic/thinking", "messages": USER, "reasoning_effort": "low"}
    response = await proxy.openai(body)
    assert response.status_code == 200, response.content
    assert response.json()["choices"][0]["message"]["content"] == "You said: rm -rf /tmp/x"
    sent = await _final_request(await _row(response))
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert sent["max_tokens"] == 4096 + 2048
    assert any(n.startswith("thinking blocks of the answer") for n in await _notes(response))


# --- an Anthropic client, an OpenAI upstream ---------------------------------------------------


async def test_anthropic_client_text_from_openai_upstream(proxy: Proxy) -> None:
    body = {"model": "openai/echo", "max_tokens": 50, "system": "be brief", "messages": USER}
    response = await proxy.anthropic(body)
    assert response.status_code == 200, response.content
    message = anthropic.types.Message.model_validate_json(response.content)
    assert message.content[0].type == "text"
    assert message.content[0].text == "You said: rm -rf /tmp/x"
    assert message.stop_reason == "end_turn"
    sent = await _final_request(await _row(response))
    assert sent["messages"][0] == {"role": "system", "content": "be brief"}
    assert sent["max_completion_tokens"] == 50


async def test_anthropic_client_tool_calls_from_openai_upstream_stream(proxy: Proxy) -> None:
    tools = [{"name": "Bash", "input_schema": {"type": "object"}}]
    body = {
        "model": "openai/tools",
        "max_tokens": 50,
        "messages": USER,
        "tools": tools,
        "tool_choice": {"type": "any", "disable_parallel_tool_use": False},
        "stream": True,
    }
    response = await proxy.anthropic(body)
    raw = await read_stream(response)
    for name, data in sse_events(raw):
        if name != "ping":
            ANTHROPIC_EVENT.validate_json(data)
    _, calls, stop = anthropic_stream_text(raw)
    assert [c["name"] for c in calls] == ["Bash", "Read"]
    assert json.loads(calls[1]["arguments"]) == {"file_path": "README.md"}
    assert stop == "tool_use"
    sent = await _final_request(await _row(response))
    assert sent["tool_choice"] == "required"
    assert sent["tools"][0]["function"]["name"] == "Bash"


async def test_openai_upstream_error_in_anthropic_shape(proxy: Proxy) -> None:
    body = {"model": "openai/error?status=429", "max_tokens": 5, "messages": USER}
    response = await proxy.anthropic(body)
    assert response.status_code == 429
    assert response.json()["type"] == "error"
    assert response.json()["error"]["type"] == "rate_limit_error"


async def test_anthropic_server_tool_is_a_400_naming_it(proxy: Proxy) -> None:
    tools = [{"type": "web_search_20250305", "name": "web_search"}]
    body = {"model": "gpt-4o", "max_tokens": 5, "messages": USER, "tools": tools}
    response = await proxy.anthropic(body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert "'tools[0].type' cannot be translated" in error["message"]


async def _final_request(row: Transaction) -> dict[str, Any]:
    from activity.models import TransactionBody

    body = await TransactionBody.objects.aget(transaction_id=row.id)
    assert isinstance(body.request_final, dict)
    return body.request_final
