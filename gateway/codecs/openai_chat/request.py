"""OpenAI Chat Completions request body ↔ neutral `Request`.

Lifted: `model`, `messages`, `tools`, `stream`; every other top-level field stays in `params`
untouched. Message content becomes blocks (text parts → `TextBlock`, any other part →
`OpaqueBlock`); an assistant's `tool_calls` follow its content as `ToolCallBlock`s; a `tool`
message holds one `ToolResultBlock`. Shape facts go in `hints` (content was a string, null or
absent; `tool_calls`/`tools`/`stream` were null, empty or absent) so that
`encode_request(decode_request(body)) == body`.

A policy may set `Request.system`: it is sent as a leading system message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from gateway.codecs.common import (
    ABSENT,
    MISSING,
    NULL,
    decode_stream_flag,
    encode_stream_flag,
    fill,
    rest,
)
from gateway.codecs.openai_chat.mapping import (
    tool_call_from_wire,
    tool_call_to_wire,
    tool_spec_from_wire,
    tool_spec_to_wire,
)
from gateway.errors import InvalidRequest
from gateway.neutral import (
    Block,
    Message,
    OpaqueBlock,
    Request,
    TextBlock,
    ToolCallBlock,
    ToolResultBlock,
    ToolSpec,
)

ROLES: Final = ("system", "developer", "user", "assistant", "tool", "function")
_LIFTED: Final = frozenset({"model", "messages", "tools", "stream"})
STRING, LIST, EMPTY = "string", "list", "empty"


# --- decode ------------------------------------------------------------------------------------


def decode_request(body: Any) -> Request:
    """Client JSON → `Request`; raises `InvalidRequest` for schema errors."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("'model' is required and must be a non-empty string.", param="model")
    raw_messages = body.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise InvalidRequest(
            "'messages' is required and must be a non-empty array.", param="messages"
        )
    hints: dict[str, Any] = {}
    return Request(
        format="openai",
        model=model,
        messages=[_decode_message(m, f"messages[{i}]") for i, m in enumerate(raw_messages)],
        tools=_decode_tools(body.get("tools", MISSING), hints),
        stream=decode_stream_flag(body.get("stream", MISSING), hints),
        params=rest(body, _LIFTED),
        hints=hints,
    )


def _decode_tools(value: Any, hints: dict[str, Any]) -> list[ToolSpec] | None:
    if value is MISSING:
        return None
    if value is None:
        hints["tools"] = NULL
        return None
    if not isinstance(value, list):
        raise InvalidRequest("'tools' must be an array.", param="tools")
    specs = []
    for i, tool in enumerate(value):
        where = f"tools[{i}]"
        if not isinstance(tool, dict):
            raise InvalidRequest(f"{where} must be an object.", param=where)
        if tool.get("type", "function") == "function":
            function = tool.get("function")
            if not isinstance(function, dict) or not isinstance(function.get("name"), str):
                raise InvalidRequest(
                    f"{where}.function must be an object with a string 'name'.",
                    param=f"{where}.function",
                )
        specs.append(tool_spec_from_wire(tool))
    return specs


def _decode_message(raw: Any, where: str) -> Message:
    if not isinstance(raw, dict):
        raise InvalidRequest(f"{where} must be an object.", param=where)
    role = raw.get("role")
    if role not in ROLES:
        raise InvalidRequest(
            f"{where}.role must be one of {', '.join(ROLES)}; got {role!r}.", param=f"{where}.role"
        )
    hints: dict[str, Any] = {}
    if role == "tool":
        return _decode_tool_message(raw, where, hints)
    content = decode_content(raw.get("content", MISSING), where, hints)
    if role != "assistant" or "tool_calls" not in raw:
        return Message(role, content, rest(raw, ("role", "content")), hints)
    calls = raw["tool_calls"]
    if calls is None:
        hints["tool_calls"] = NULL
    elif calls == []:
        hints["tool_calls"] = EMPTY
    elif isinstance(calls, list):
        hints["tool_calls"] = LIST
        content.extend(
            _decode_tool_call(c, f"{where}.tool_calls[{j}]") for j, c in enumerate(calls)
        )
    else:
        raise InvalidRequest(f"{where}.tool_calls must be an array.", param=f"{where}.tool_calls")
    return Message(role, content, rest(raw, ("role", "content", "tool_calls")), hints)


def _decode_tool_call(raw: Any, where: str) -> ToolCallBlock:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise InvalidRequest(f"{where} must be an object with a string 'id'.", param=where)
    if raw.get("type", "function") == "function":
        function = raw.get("function")
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise InvalidRequest(
                f"{where}.function must be an object with a string 'name'.",
                param=f"{where}.function",
            )
        if not isinstance(function.get("arguments", ""), str):
            raise InvalidRequest(
                f"{where}.function.arguments must be a string of JSON.",
                param=f"{where}.function.arguments",
            )
    return tool_call_from_wire(raw)


def _decode_tool_message(raw: dict[str, Any], where: str, hints: dict[str, Any]) -> Message:
    call_id = raw.get("tool_call_id")
    if not isinstance(call_id, str):
        raise InvalidRequest(
            f"{where}.tool_call_id must be a string: the id of the tool call this answers.",
            param=f"{where}.tool_call_id",
        )
    content = raw.get("content", MISSING)
    if content is MISSING:
        hints["content"] = ABSENT
        content = None
    elif content is not None and not isinstance(content, (str, list)):
        raise InvalidRequest(
            f"{where}.content must be a string or an array of parts.", param=f"{where}.content"
        )
    extra = rest(raw, ("role", "content", "tool_call_id"))
    return Message("tool", [ToolResultBlock(call_id, content)], extra, hints)


def decode_content(value: Any, where: str, hints: dict[str, Any]) -> list[Block]:
    """A message's `content` → blocks, recording its shape in `hints["content"]`."""
    if isinstance(value, str):
        hints["content"] = STRING
        return [TextBlock(value)]
    if value is MISSING:
        hints["content"] = ABSENT
        return []
    if value is None:
        hints["content"] = NULL
        return []
    if not isinstance(value, list):
        raise InvalidRequest(
            f"{where}.content must be a string or an array of parts.", param=f"{where}.content"
        )
    hints["content"] = LIST
    blocks: list[Block] = []
    for i, part in enumerate(value):
        if not isinstance(part, dict):
            raise InvalidRequest(
                f"{where}.content[{i}] must be an object.", param=f"{where}.content[{i}]"
            )
        text = part.get("text")
        if part.get("type") == "text" and isinstance(text, str):
            blocks.append(TextBlock(text, rest(part, ("type", "text"))))
        else:
            blocks.append(OpaqueBlock(part))
    return blocks


# --- encode ------------------------------------------------------------------------------------


def encode_request(request: Request) -> dict[str, Any]:
    """`Request` → JSON body for an OpenAI-compatible upstream."""
    messages = [_encode_message(m) for m in request.messages]
    if request.system:
        messages.insert(0, {"role": "system", "content": encode_content(request.system, None)})
    body: dict[str, Any] = {"model": request.model, "messages": messages}
    if request.tools is not None:
        body["tools"] = [tool_spec_to_wire(t) for t in request.tools]
    elif request.hints.get("tools") == NULL:
        body["tools"] = None
    encode_stream_flag(request, body)
    return fill(body, request.params)


def _encode_message(message: Message) -> dict[str, Any]:
    if message.role == "tool":
        results = [b for b in message.content if isinstance(b, ToolResultBlock)]
        if results:
            return _encode_tool_message(message, results[0])
    calls = [b for b in message.content if isinstance(b, ToolCallBlock)]
    parts = [b for b in message.content if not isinstance(b, ToolCallBlock)]
    out: dict[str, Any] = {"role": message.role}
    hint = message.hints.get("content")
    if hint == NULL and not calls and message.hints.get("tool_calls") == LIST:
        hint = STRING  # a policy removed every tool call: null content is no longer allowed
    if parts or hint != ABSENT:
        out["content"] = encode_content(parts, hint, has_tool_calls=bool(calls))
    if calls:
        out["tool_calls"] = [tool_call_to_wire(c, c.arguments) for c in calls]
    elif message.hints.get("tool_calls") == NULL:
        out["tool_calls"] = None
    elif message.hints.get("tool_calls") == EMPTY:
        out["tool_calls"] = []
    return fill(out, message.extra)


def _encode_tool_message(message: Message, result: ToolResultBlock) -> dict[str, Any]:
    out: dict[str, Any] = {"role": "tool", "tool_call_id": result.tool_call_id}
    if result.content is not None or message.hints.get("content") != ABSENT:
        out["content"] = result.content
    return fill(out, message.extra)


def encode_content(
    blocks: Sequence[Block], hint: str | None, *, has_tool_calls: bool = False
) -> str | list[dict[str, Any]] | None:
    """Blocks → a `content` value: a string when it was one (or for a lone plain text block
    nobody gave a shape), else an array of parts; empty content follows the hint."""
    if not blocks:
        if hint == STRING:
            return ""
        if hint == LIST:
            return []
        return None if hint == NULL or has_tool_calls else ""
    if hint != LIST and len(blocks) == 1:
        only = blocks[0]
        if isinstance(only, TextBlock) and not only.extra:
            return only.text
    return [_encode_part(b) for b in blocks]


def _encode_part(block: Block) -> dict[str, Any]:
    if isinstance(block, TextBlock):
        return fill({"type": "text", "text": block.text}, block.extra)
    if isinstance(block, OpaqueBlock):
        return block.raw
    if isinstance(block, ToolResultBlock):
        return {"type": "text", "text": block.text()}
    return {"type": "text", "text": block.arguments}
