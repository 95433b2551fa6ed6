"""What an agent-like mock needs of a request: the tools offered and the latest turn.

Coding agents end their conversations in many shapes: trailing `system` or `developer`
messages (reminders), several text blocks in one user message, tool results next to text
blocks. `latest_turn_*` skip the system-like messages and report whether the conversation's
last real turn is the user's text or a tool result; `tools_of` reads the tool definitions of
either wire format (and the Responses shape) into `ToolSpec`s. No Django, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

TurnKind = Literal["none", "text", "tool_result"]
SYSTEM_ROLES = frozenset({"system", "developer"})


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool the client offers: its name and its JSON schema of arguments."""

    name: str
    parameters: dict[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class Turn:
    """The conversation's latest turn: the user's text, a tool result's text, or none."""

    kind: TurnKind = "none"
    text: str = ""


NO_TURN = Turn()


def content_texts(content: Any, *, tool_results: bool = True) -> Iterable[str]:
    """The text inside a message content (a string or a list of parts/blocks)."""
    if isinstance(content, str):
        yield content
        return
    if not isinstance(content, list):
        return
    for block in content:
        if isinstance(block, str):
            yield block
        elif not isinstance(block, dict):
            continue
        elif block.get("type") in ("text", "input_text") and isinstance(block.get("text"), str):
            yield block["text"]
        elif block.get("type") == "tool_use":
            yield f"{block.get('name', '')} {orjson.dumps(block.get('input', {})).decode()}"
        elif block.get("type") == "tool_result" and tool_results:
            yield from content_texts(block.get("content"))
        elif block.get("type") == "thinking" and isinstance(block.get("thinking"), str):
            yield block["thinking"]


def tools_of(payload: dict[str, Any]) -> tuple[ToolSpec, ...]:
    """The function tools of a request (Anthropic, Chat Completions or Responses shape)."""
    tools = payload.get("tools")
    specs: list[ToolSpec] = []
    for tool in tools if isinstance(tools, list) else ():
        if not isinstance(tool, dict):
            continue
        function = tool.get("function")
        source = function if isinstance(function, dict) else tool
        name = source.get("name")
        schema = source.get("parameters", source.get("input_schema"))
        if isinstance(name, str) and name:
            specs.append(ToolSpec(name, schema if isinstance(schema, dict) else {}))
    return tuple(specs)


def latest_turn_openai(messages: list[dict[str, Any]]) -> Turn:
    """The latest turn of a Chat Completions conversation (trailing tool messages joined)."""
    results: list[str] = []
    for message in reversed(messages):
        role = message.get("role")
        if role in SYSTEM_ROLES and not results:
            continue
        if role == "tool":
            results.insert(0, _joined(content_texts(message.get("content"))))
            continue
        if results:
            break
        if role == "user":
            return Turn("text", _joined(content_texts(message.get("content"))))
        return Turn()
    return Turn("tool_result", "\n".join(results)) if results else Turn()


def latest_turn_anthropic(messages: list[dict[str, Any]]) -> Turn:
    """The latest turn of an Anthropic conversation: a user message's tool results if it
    has any (other blocks beside them are reminders), else its text."""
    for message in reversed(messages):
        role = message.get("role")
        if role in SYSTEM_ROLES:
            continue
        if role != "user":
            return Turn()
        content = message.get("content")
        blocks = content if isinstance(content, list) else []
        results = [
            _joined(content_texts(b.get("content")))
            for b in blocks
            if isinstance(b, dict) and b.get("type") == "tool_result"
        ]
        if results:
            return Turn("tool_result", "\n".join(results))
        return Turn("text", _joined(content_texts(content, tool_results=False)))
    return Turn()


RESULT_ITEMS = frozenset(
    {"function_call_output", "custom_tool_call_output", "local_shell_call_output"}
)


def item_texts(item: dict[str, Any]) -> Iterable[str]:
    """The text of one Responses input item: a message's content, a call's name and
    arguments, a call output's output."""
    kind = item.get("type", "message")
    if kind == "message":
        yield from content_texts(item.get("content"))
    elif kind in ("function_call", "custom_tool_call"):
        yield f"{item.get('name', '')} {item.get('arguments', item.get('input', ''))}"
    elif kind in RESULT_ITEMS:
        output = item.get("output")
        yield from content_texts(output) if isinstance(output, list) else [str(output or "")]


def latest_turn_responses(items: list[dict[str, Any]]) -> Turn:
    """The latest turn of a Responses input: trailing call outputs (joined), else the last
    user message's text; system and developer messages and reasoning items are skipped."""
    results: list[str] = []
    for item in reversed(items):
        kind = item.get("type", "message")
        role = item.get("role")
        if kind == "reasoning" or (kind == "message" and role in SYSTEM_ROLES):
            continue
        if kind in RESULT_ITEMS:
            results.insert(0, _joined(item_texts(item)))
            continue
        if results:
            break
        if kind == "message" and role == "user":
            return Turn("text", _joined(item_texts(item)))
        return Turn()
    return Turn("tool_result", "\n".join(results)) if results else Turn()


def _joined(texts: Iterable[str]) -> str:
    return "\n".join(t for t in texts if t)
