"""A Responses client (Codex's shape) reaching an Anthropic-format upstream through the real
pipeline (the in-process mock behind `anthropic`), streamed and not: text, tool calls, tool
results, reasoning, usage, status, errors in the Responses shape, and the record of both
formats."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from pydantic import TypeAdapter

from activity.models import Transaction, TransactionBody, TransactionEvent
from activity.recorder import recorder
from tests.gateway.integration.conftest import Proxy, read_stream
from tests.gateway.integration.sse_helpers import sse_events
from wire.upstreams import MOCK_HOST, reset_upstreams

EVENT = TypeAdapter(openai.types.responses.ResponseStreamEvent)
SHELL = {
    "type": "function",
    "name": "Bash",
    "description": "Runs a command",
    "parameters": {"type": "object", "properties": {"command": {"type": "string"}}},
    "strict": False,
}


@pytest.fixture(autouse=True)
def cross_mock(settings: Any) -> Iterator[None]:
    """The `anthropic` upstream is the in-process mock, speaking the Messages API."""
    settings.ANTHROPIC_BASE_URL = MOCK_HOST
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


async def _sent(response: Any) -> dict[str, Any]:
    row = await _row(response)
    body = await TransactionBody.objects.aget(transaction_id=row.id)
    assert isinstance(body.request_final, dict)
    return body.request_final


def _stream_response(raw: bytes) -> openai.types.responses.Response:
    """Every event parses with the SDK, `sequence_number` counts from 0, one terminal event
    ends the stream; its response."""
    events = [EVENT.validate_json(data) for _, data in sse_events(raw)]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[-1].type in ("response.completed", "response.incomplete")
    final = events[-1].response  # type: ignore[union-attr]
    assert isinstance(final, openai.types.responses.Response)
    return final


def _calls(response: openai.types.responses.Response) -> list[Any]:
    return [item for item in response.output if item.type == "function_call"]


@pytest.mark.parametrize("stream", [False, True])
async def test_text_from_anthropic_upstream(proxy: Proxy, stream: bool) -> None:
    body = {"model": "anthropic/echo", "instructions": "be brief", "input": "hi", "stream": stream}
    response = await proxy.responses(body)
    assert response.status_code == 200, response.content
    if stream:
        final = _stream_response(await read_stream(response))
    else:
        final = openai.types.responses.Response.model_validate_json(response.content)
    assert final.output_text == "You said: hi"
    assert final.status == "completed" and final.incomplete_details is None
    assert final.usage is not None and final.usage.output_tokens > 0
    assert final.usage.total_tokens == final.usage.input_tokens + final.usage.output_tokens
    row = await _row(response)
    assert (row.client_format, row.upstream_format, row.upstream, row.stream) == (
        "responses",
        "anthropic",
        "anthropic",
        stream,
    )
    sent = await _sent(response)
    assert sent["system"] == "be brief" and sent["model"] == "echo"
    assert any("max_tokens was not given: sent 4096" in n for n in await _notes(response))


@pytest.mark.parametrize("stream", [False, True])
async def test_tool_calls_from_anthropic_upstream(proxy: Proxy, stream: bool) -> None:
    body = {
        "model": "anthropic/tools",
        "input": [{"role": "user", "content": "rm -rf /tmp/x"}],
        "tools": [SHELL],
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "stream": stream,
    }
    response = await proxy.responses(body)
    assert response.status_code == 200, response.content
    if stream:
        final = _stream_response(await read_stream(response))
    else:
        final = openai.types.responses.Response.model_validate_json(response.content)
    calls = _calls(final)
    assert [c.name for c in calls] == ["Bash", "Read"]
    assert json.loads(calls[0].arguments) == {"command": "rm -rf /tmp/x"}
    assert all(c.call_id.startswith("toolu_") for c in calls)
    assert final.status == "completed"
    sent = await _sent(response)
    assert sent["tools"][0] == {
        "name": "Bash",
        "description": "Runs a command",
        "input_schema": SHELL["parameters"],
    }
    assert sent["tool_choice"] == {"type": "auto"}


async def test_tool_results_reach_anthropic_upstream(proxy: Proxy) -> None:
    body = {
        "model": "anthropic/tool",
        "input": [
            {"role": "user", "content": "list"},
            {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "Bash",
             "arguments": "{}"},
            {"type": "function_call", "id": "fc_2", "call_id": "c2", "name": "Read",
             "arguments": '{"file_path": "a"}'},
            {"type": "function_call_output", "call_id": "c1", "output": "done"},
            {"type": "function_call_output", "call_id": "c2", "output": "text"},
        ],
        "tools": [SHELL],
    }  # fmt: skip
    response = await proxy.responses(body)
    assert response.status_code == 200, response.content
    sent = await _sent(response)
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    assert [b["id"] for b in sent["messages"][1]["content"]] == ["c1", "c2"]
    assert [r["tool_use_id"] for r in sent["messages"][2]["content"]] == ["c1", "c2"]


async def test_reasoning_effort_and_dropped_thinking(proxy: Proxy) -> None:
    body = {
        "model": "anthropic/thinking",
        "input": "hi",
        "reasoning": {"effort": "low", "summary": "auto"},
        "include": ["reasoning.encrypted_content"],
        "store": False,
    }
    response = await proxy.responses(body)
    assert response.status_code == 200, response.content
    final = openai.types.responses.Response.model_validate_json(response.content)
    assert [item.type for item in final.output] == ["message"]
    assert final.output_text == "You said: hi"
    sent = await _sent(response)
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    notes = await _notes(response)
    assert any(n.startswith("thinking blocks of the answer were dropped") for n in notes)
    assert any(n.startswith("'include' 'reasoning.encrypted_content' was dropped") for n in notes)


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"previous_response_id": "resp_1"}, "previous_response_id"),
        ({"store": True}, "store"),
        ({"tools": [{"type": "web_search"}]}, "tools[0].type"),
        ({"include": ["file_search_call.results"]}, "include"),
    ],
)
async def test_untranslatable_fields_are_a_400_in_the_responses_shape(
    proxy: Proxy, extra: dict[str, Any], param: str
) -> None:
    response = await proxy.responses({"model": "claude-x", "input": "hi", **extra})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert f"'{param}' cannot be translated" in error["message"]
    assert (await _row(response)).status == "rejected"


async def test_upstream_error_in_the_responses_shape(proxy: Proxy) -> None:
    response = await proxy.responses({"model": "anthropic/error?status=529", "input": "hi"})
    assert response.status_code == 529
    error = response.json()["error"]
    assert error["type"] == "server_error" and error["message"]
    assert (await _row(response)).status == "upstream_error"


async def test_midstream_error_is_a_responses_error_event(proxy: Proxy) -> None:
    body = {"model": "anthropic/midstream-error?status=529", "input": "hi", "stream": True}
    raw = await read_stream(await proxy.responses(body))
    events = [json.loads(data) for _, data in sse_events(raw)]
    errors = [e for e in events if e["type"] == "error"]
    assert errors and errors[0]["code"] == "server_error" and errors[0]["message"]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))


@pytest.mark.parametrize("stream", [False, True])
async def test_custom_tool_call_from_anthropic_upstream(proxy: Proxy, stream: bool) -> None:
    """A custom (free-form) tool travels as a function with one string argument; the answer's
    call comes back as a `custom_tool_call` whose `input` is that string."""
    patch = "*** Begin Patch\n*** Delete File: a.txt\n*** End Patch\n"  # (no "+": a query)
    args = json.dumps({"input": patch})
    body = {
        "model": f"anthropic/tool?name=apply_patch&args={args}",
        "input": "add a.txt",
        "tools": [{"type": "custom", "name": "apply_patch", "description": "Edit files"}],
        "stream": stream,
    }
    response = await proxy.responses(body)
    assert response.status_code == 200, response.content
    if stream:
        raw = await read_stream(response)
        final = _stream_response(raw)
        deltas = [
            json.loads(d)["delta"]
            for _, d in sse_events(raw)
            if '"response.custom_tool_call_input.delta"' in d
        ]
        assert "".join(deltas) == patch
    else:
        final = openai.types.responses.Response.model_validate_json(response.content)
    calls = [item for item in final.output if item.type == "custom_tool_call"]
    assert [(c.name, c.input) for c in calls] == [("apply_patch", patch)]
    sent = await _sent(response)
    assert sent["tools"][0]["input_schema"]["required"] == ["input"]
