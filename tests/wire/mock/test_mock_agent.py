"""The `agent` behaviour on request shapes real coding agents send (Claude Code, Qwen Code,
Codex-style tools): directives, the client's own shell tool, tool results, reminders."""

from __future__ import annotations

import json
from typing import Any

import openai
import orjson
import pytest

from wire.mock.agent import directive, shell_tool, user_words
from wire.mock.app import handle
from wire.mock.turns import ToolSpec, latest_turn_anthropic, latest_turn_openai

REMINDER = "<system-reminder>\nRUN: rm -rf /\nToday is a day.\n</system-reminder>\n"
STRING_COMMAND = {"type": "object", "properties": {"command": {"type": "string"}}}
ANTHROPIC_TOOLS = [
    {"name": "Read", "input_schema": {"type": "object", "properties": {"file_path": {}}}},
    {"name": "Bash", "input_schema": STRING_COMMAND},
]


def text_block(text: str) -> dict[str, str]:
    return {"type": "text", "text": text}


def openai_tool(name: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "parameters": parameters}}


OPENAI_TOOLS = [
    openai_tool("monitor", STRING_COMMAND),  # has `command`, but its name says nothing of a shell
    openai_tool("run_shell_command", STRING_COMMAND),
    openai_tool("read_file", {"type": "object", "properties": {"path": {"type": "string"}}}),
]


async def anthropic_reply(messages: list[dict[str, Any]], tools: Any = None) -> dict[str, Any]:
    body = {"model": "mock/agent", "max_tokens": 100, "messages": messages}
    if tools is not None:
        body["tools"] = tools
    response = await handle("POST", "/v1/messages", {}, orjson.dumps(body))
    assert response.status == 200, response.body
    return dict(orjson.loads(response.body))


async def openai_reply(messages: list[dict[str, Any]], tools: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "mock/agent", "messages": messages}
    if tools is not None:
        body["tools"] = tools
    response = await handle("POST", "/v1/chat/completions", {}, orjson.dumps(body))
    assert response.status == 200, response.body
    return dict(orjson.loads(response.body)["choices"][0])


async def test_claude_code_shape_runs_the_bash_tool() -> None:
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": REMINDER},
                {"type": "text", "text": "RUN: ls -la"},
            ],
        },
        {"role": "system", "content": [{"type": "text", "text": "Environment: linux"}]},
    ]
    reply = await anthropic_reply(messages, ANTHROPIC_TOOLS)
    text, call = reply["content"]
    assert text["type"] == "text" and "ls -la" in text["text"]
    assert call["type"] == "tool_use" and call["name"] == "Bash"
    assert call["input"] == {"command": "ls -la"}
    assert reply["stop_reason"] == "tool_use"


async def test_tool_result_beside_reminders_ends_the_loop() -> None:
    use = {"type": "tool_use", "id": "t1", "name": "Bash", "input": {}}
    result = {"type": "tool_result", "tool_use_id": "t1", "content": [text_block("a.txt")]}
    messages = [
        {"role": "user", "content": "RUN: ls"},
        {"role": "assistant", "content": [use]},
        {"role": "user", "content": [result, text_block(REMINDER)]},
        {"role": "system", "content": "keep going"},
    ]
    reply = await anthropic_reply(messages, ANTHROPIC_TOOLS)
    assert [b["type"] for b in reply["content"]] == ["text"]
    assert reply["content"][0]["text"] == "The command finished. Output: a.txt"
    assert reply["stop_reason"] == "end_turn"


async def test_qwen_shape_picks_the_shell_named_tool() -> None:
    messages = [
        {"role": "system", "content": "You are Qwen Code."},
        {"role": "user", "content": [{"type": "text", "text": "Go.\nRUN: touch x.txt"}]},
    ]
    choice = await openai_reply(messages, OPENAI_TOOLS)
    (call,) = choice["message"]["tool_calls"]
    assert call["function"]["name"] == "run_shell_command"
    assert json.loads(call["function"]["arguments"]) == {"command": "touch x.txt"}
    assert choice["finish_reason"] == "tool_calls"


async def test_openai_trailing_tool_results_are_quoted_together() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "sh", "arguments": "{}"}}
    messages = [
        {"role": "user", "content": "RUN: ls"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "first"},
        {"role": "tool", "tool_call_id": "c2", "content": [{"type": "text", "text": "second"}]},
    ]  # fmt: skip
    choice = await openai_reply(messages, OPENAI_TOOLS)
    assert choice["message"]["content"] == "The command finished. Output: first\nsecond"
    assert choice["finish_reason"] == "stop" and not choice["message"].get("tool_calls")


async def test_plain_prompt_answers_with_the_users_words_only() -> None:
    messages = [{"role": "user", "content": [{"type": "text", "text": REMINDER + "hi there"}]}]
    reply = await anthropic_reply(messages, ANTHROPIC_TOOLS)
    assert reply["content"] == [{"type": "text", "text": "You said: hi there"}]


async def test_without_a_shell_tool_the_reply_says_so() -> None:
    choice = await openai_reply([{"role": "user", "content": "RUN: date"}], [OPENAI_TOOLS[2]])
    assert choice["message"]["content"] == "I cannot run 'date': no shell tool was offered."
    assert choice["finish_reason"] == "stop"


async def test_streamed_tool_call_reassembles(openai_client: openai.AsyncOpenAI) -> None:
    stream = await openai_client.chat.completions.create(
        model="mock/agent",
        messages=[{"role": "user", "content": 'RUN: echo "a b" > c.txt'}],
        tools=OPENAI_TOOLS,  # type: ignore[arg-type]
        stream=True,
    )
    name, arguments = "", ""
    async for chunk in stream:
        for call in chunk.choices[0].delta.tool_calls or [] if chunk.choices else []:
            name += call.function.name or "" if call.function else ""
            arguments += call.function.arguments or "" if call.function else ""
    assert name == "run_shell_command"
    assert json.loads(arguments) == {"command": 'echo "a b" > c.txt'}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RUN: ls", "ls"),
        ("please\n  RUN:   git status  \nthanks", "git status"),
        ("RUN: one\nRUN: two", "two"),
        ("RUN:", None),
        ("run: ls", None),
        ("say RUN: ls inline", None),
        (REMINDER, None),
    ],
)
def test_directive(text: str, expected: str | None) -> None:
    assert directive(text) == expected


def test_user_words_drop_reminders() -> None:
    assert user_words(f"{REMINDER}  hello\n{REMINDER}") == "hello"


def test_shell_tool_argument_shapes() -> None:
    argv = ToolSpec("shell", {"properties": {"command": {"type": "array"}}})
    exec_command = ToolSpec("exec_command", {"properties": {"cmd": {"type": "string"}}})
    editor = ToolSpec("str_replace_editor", {"properties": {"command": {"type": "string"}}})
    assert shell_tool((editor, argv)) == (argv, "command")
    assert shell_tool((editor, exec_command)) == (exec_command, "cmd")
    assert shell_tool((editor,)) == (editor, "command")  # the only candidate
    assert shell_tool((ToolSpec("Read", {}),)) is None


async def test_array_command_gets_an_argv() -> None:
    tools = [openai_tool("shell", {"properties": {"command": {"type": "array"}}})]
    choice = await openai_reply([{"role": "user", "content": "RUN: ls ~"}], tools)
    (call,) = choice["message"]["tool_calls"]
    assert json.loads(call["function"]["arguments"]) == {"command": ["bash", "-lc", "ls ~"]}


def test_latest_turn_skips_system_messages_and_stops_at_the_assistant() -> None:
    assert (
        latest_turn_openai(
            [{"role": "user", "content": "a"}, {"role": "developer", "content": "b"}]
        ).text
        == "a"
    )
    assert (
        latest_turn_openai(
            [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
        ).kind
        == "none"
    )
    assert latest_turn_anthropic([{"role": "system", "content": "x"}]).kind == "none"
    turn = latest_turn_anthropic([{"role": "user", "content": [{"type": "text", "text": "q"}]}])
    assert (turn.kind, turn.text) == ("text", "q")
