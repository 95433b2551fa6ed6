"""The official `openai` SDK's Responses API against the mock, in-process: the behaviours that
matter to Responses clients (text, thinking as reasoning, tool calls, the agent driving Codex's
shell tool, errors), streamed and not, every event parsed by the SDK."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

EXEC_COMMAND = {
    "type": "function",
    "name": "exec_command",
    "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}},
}
SHELL_ARGV = {
    "type": "function",
    "name": "shell",
    "parameters": {
        "type": "object",
        "properties": {"command": {"type": "array", "items": {"type": "string"}}},
    },
}


async def final_of(client: openai.AsyncOpenAI, stream: bool, **kwargs: Any) -> Any:
    """The final `Response`, from `responses.create` or from the streamed events (whose
    sequence numbers must count from 0)."""
    if not stream:
        return await client.responses.create(**kwargs)
    events = [event async for event in await client.responses.create(stream=True, **kwargs)]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    return events[-1].response


@pytest.mark.parametrize("stream", [False, True])
async def test_echo(openai_client: openai.AsyncOpenAI, stream: bool) -> None:
    response = await final_of(openai_client, stream, model="mock/echo", input="hi there")
    assert response.output_text == "You said: hi there"
    assert response.usage.input_tokens == 2 and response.status == "completed"


@pytest.mark.parametrize("stream", [False, True])
async def test_thinking_is_a_reasoning_item(
    openai_client: openai.AsyncOpenAI, stream: bool
) -> None:
    response = await final_of(
        openai_client,
        stream,
        model="mock/thinking",
        input="why",
        include=["reasoning.encrypted_content"],
    )
    reasoning = response.output[0]
    assert reasoning.type == "reasoning" and reasoning.encrypted_content
    assert "why" in reasoning.summary[0].text
    assert response.usage.output_tokens_details.reasoning_tokens > 0


@pytest.mark.parametrize("stream", [False, True])
async def test_tools_grammar(openai_client: openai.AsyncOpenAI, stream: bool) -> None:
    response = await final_of(openai_client, stream, model="mock/tools", input="ls -la")
    calls = [item for item in response.output if item.type == "function_call"]
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [
        ("Bash", {"command": "ls -la"}),
        ("Read", {"file_path": "README.md"}),
    ]
    assert len({c.call_id for c in calls}) == 2


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        (EXEC_COMMAND, {"cmd": "git status"}),
        (SHELL_ARGV, {"command": ["bash", "-lc", "git status"]}),
    ],
)
async def test_agent_calls_codex_shell_tools(
    openai_client: openai.AsyncOpenAI, tool: dict[str, Any], arguments: dict[str, Any]
) -> None:
    response = await final_of(
        openai_client, True, model="mock/agent", input="RUN: git status", tools=[tool]
    )
    call = response.output[-1]
    assert call.type == "function_call" and json.loads(call.arguments) == arguments


async def test_agent_answers_a_call_output(openai_client: openai.AsyncOpenAI) -> None:
    response = await openai_client.responses.create(
        model="mock/agent",
        input=[
            {"role": "user", "content": "RUN: echo hi"},
            {"type": "function_call", "call_id": "c1", "name": "exec_command", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "hi"},
            {"role": "developer", "content": "a reminder"},
        ],
        tools=[EXEC_COMMAND],
    )
    assert response.output_text == "The command finished. Output: hi"


async def test_errors(openai_client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.RateLimitError):
        await openai_client.responses.create(model="mock/error?status=429", input="x")
    with pytest.raises(openai.NotFoundError):
        await openai_client.responses.create(model="mock/nope", input="x")
    with pytest.raises(openai.BadRequestError):
        await openai_client.responses.create(model="mock/echo", input=[])
    events = [
        e
        async for e in await openai_client.responses.create(
            model="mock/midstream-error", input="x", stream=True
        )
    ]
    assert events[-1].type == "error" and events[-1].message
    assert not any(e.type == "response.completed" for e in events)
