"""Read what the mock needs from a request body, in either wire format, into a `Prompt`.

Only text matters to the mock: the last user message's text (for echo and tool arguments), the
whole conversation's text (for the judge), a word count (for usage), whether the conversation
ends with a tool result (tool behaviours then answer with text, so agent loops terminate), and
for the `agent` behaviour the tools offered and the latest turn (`wire.mock.turns`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import orjson

from wire.mock.errors import MockRequestError
from wire.mock.turns import (
    NO_TURN,
    ToolSpec,
    Turn,
    content_texts,
    item_texts,
    latest_turn_anthropic,
    latest_turn_openai,
    latest_turn_responses,
    tools_of,
)


@dataclass(frozen=True, slots=True)
class Prompt:
    """The format-independent view of a request."""

    model: str
    stream: bool
    include_usage: bool
    last_user_text: str
    conversation_text: str
    input_words: int
    ends_with_tool_result: bool
    tools: tuple[ToolSpec, ...] = ()
    latest: Turn = NO_TURN
    include_reasoning: bool = False  # Responses: `include` asks for reasoning.encrypted_content


def load_body(body: bytes) -> dict[str, Any]:
    """Decode a JSON request body that must be an object with a non-empty `messages` list."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MockRequestError(f"invalid JSON body: {exc}") from exc
    if not isinstance(payload, dict):
        raise MockRequestError("request body must be a JSON object")
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        raise MockRequestError("messages: field required (a non-empty list)")
    if not all(isinstance(m, dict) for m in messages):
        raise MockRequestError("messages: every message must be an object")
    model = payload.get("model", "")
    if not isinstance(model, str):
        raise MockRequestError("model: must be a string")
    return payload


def prompt_from_openai(payload: dict[str, Any]) -> Prompt:
    """Build a `Prompt` from an OpenAI chat completions request."""
    messages: list[dict[str, Any]] = payload["messages"]
    system: list[str] = []
    conversation: list[str] = []
    last_user = ""
    for message in messages:
        role = message.get("role")
        texts = list(content_texts(message.get("content")))
        texts.extend(_tool_callcontent_texts(message.get("tool_calls")))
        if role in ("system", "developer"):
            system.extend(texts)
            continue
        conversation.extend(texts)
        if role == "user" and any(texts):
            last_user = "\n".join(t for t in texts if t)
    options = payload.get("stream_options")
    include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
    ends_with_result = messages[-1].get("role") == "tool"
    prompt = _prompt(payload, system, conversation, last_user, ends_with_result, include_usage)
    return replace(prompt, latest=latest_turn_openai(messages))


def load_responses_body(body: bytes) -> dict[str, Any]:
    """Decode a Responses request body: an object whose `input` is a non-empty string or list
    of objects."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MockRequestError(f"invalid JSON body: {exc}") from exc
    if not isinstance(payload, dict):
        raise MockRequestError("request body must be a JSON object")
    items = payload.get("input")
    if not items or not isinstance(items, (str, list)):
        raise MockRequestError("input: field required (a string or a non-empty list)")
    if isinstance(items, list) and not all(isinstance(i, dict) for i in items):
        raise MockRequestError("input: every item must be an object")
    if not isinstance(payload.get("model", ""), str):
        raise MockRequestError("model: must be a string")
    return payload


def prompt_from_responses(payload: dict[str, Any]) -> Prompt:
    """Build a `Prompt` from an OpenAI Responses request."""
    raw = payload["input"]
    items: list[dict[str, Any]] = (
        [{"type": "message", "role": "user", "content": raw}] if isinstance(raw, str) else raw
    )
    instructions = payload.get("instructions")
    system = [instructions] if isinstance(instructions, str) else []
    conversation: list[str] = []
    last_user = ""
    for item in items:
        texts = list(item_texts(item))
        if item.get("type", "message") == "message" and item.get("role") in ("system", "developer"):
            system.extend(texts)
            continue
        conversation.extend(texts)
        if item.get("type", "message") == "message" and item.get("role") == "user" and any(texts):
            last_user = "\n".join(t for t in texts if t)
    ends_with_result = str(items[-1].get("type", "")).endswith("_call_output")
    prompt = _prompt(payload, system, conversation, last_user, ends_with_result, True)
    include = payload.get("include")
    wants = isinstance(include, list) and "reasoning.encrypted_content" in include
    return replace(prompt, latest=latest_turn_responses(items), include_reasoning=wants)


def prompt_from_anthropic(payload: dict[str, Any]) -> Prompt:
    """Build a `Prompt` from an Anthropic messages request."""
    messages: list[dict[str, Any]] = payload["messages"]
    system = list(content_texts(payload.get("system")))
    conversation: list[str] = []
    last_user = ""
    for message in messages:
        texts = list(content_texts(message.get("content")))
        conversation.extend(texts)
        if message.get("role") == "user":
            plain = list(content_texts(message.get("content"), tool_results=False))
            if any(plain):
                last_user = "\n".join(t for t in plain if t)
    content = messages[-1].get("content")
    ends_with_result = (
        messages[-1].get("role") == "user"
        and isinstance(content, list)
        and bool(content)
        and all(isinstance(b, dict) and b.get("type") == "tool_result" for b in content)
    )
    prompt = _prompt(payload, system, conversation, last_user, ends_with_result, True)
    return replace(prompt, latest=latest_turn_anthropic(messages))


def _prompt(
    payload: dict[str, Any],
    system: list[str],
    conversation: list[str],
    last_user: str,
    ends_with_tool_result: bool,
    include_usage: bool,
) -> Prompt:
    conversation_text = "\n".join(t for t in conversation if t)
    words = sum(len(t.split()) for t in (*system, *conversation))
    return Prompt(
        model=payload.get("model") or "",
        stream=bool(payload.get("stream")),
        include_usage=include_usage,
        last_user_text=last_user,
        conversation_text=conversation_text,
        input_words=max(words, 1),
        ends_with_tool_result=ends_with_tool_result,
        tools=tools_of(payload),
    )


def _tool_callcontent_texts(calls: Any) -> Iterable[str]:
    """`name arguments` for each OpenAI tool call of an assistant message."""
    for call in calls if isinstance(calls, list) else ():
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            yield f"{function.get('name', '')} {function.get('arguments', '')}"
