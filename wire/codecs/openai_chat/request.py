"""OpenAI Chat Completions request body ↔ neutral `Request`.

Lifted: `model`, `messages`, `tools`, `stream`; every other top-level field stays in `params`
untouched. Any role passes (`developer`, `system`, new ones); a message, tool list or value whose
shape the gateway does not understand is carried whole and sent back exactly as received (the
upstream judges it; policies see no content in it). Message content becomes blocks (text parts →
`TextBlock`, any other part → `OpaqueBlock`); an assistant's `tool_calls` follow its content as
`ToolCallBlock`s; a `tool` message holds one `ToolResultBlock`. Shape facts go in `hints` (content
was a string, null or absent; `tool_calls`/`tools`/`stream` were null, empty or absent) so that
`encode_request(decode_request(body)) == body`.

A policy may set `Request.system`: it is sent as a leading system message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from wire.codecs.common import (
    ABSENT,
    MISSING,
    NULL,
    RAW,
    decode_stream_flag,
    encode_stream_flag,
    fill,
    lifted_fields,
    require_model,
    rest,
)
from wire.codecs.openai_chat.mapping import (
    tool_call_from_wire,
    tool_call_to_wire,
    tool_spec_from_wire,
    tool_spec_to_wire,
)
from wire.errors import InvalidRequest
from wire.neutral import (
    Block,
    Message,
    OpaqueBlock,
    Request,
    TextBlock,
    ToolCallBlock,
    ToolResultBlock,
    ToolSpec,
)

_LIFTABLE: Final = ("model", "messages", "tools", "stream")
STRING, LIST, EMPTY = "string", "list", "empty"


# --- decode ------------------------------------------------------------------------------------


def decode_request(body: Any) -> Request:
    """Client JSON → `Request`; raises `InvalidRequest` only for what the gateway needs."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    model = require_model(body)
    _refuse_several_choices(body.get("n"))
    hints: dict[str, Any] = {}
    messages, tools = body.get("messages", MISSING), body.get("tools", MISSING)
    liftable = {
        "messages": isinstance(messages, list),
        "tools": tools is MISSING or tools is None or _is_function_tools(tools),
    }
    if messages is MISSING:
        hints["messages"] = ABSENT
    return Request(
        format="openai",
        model=model,
        messages=[_decode_message(m) for m in messages] if liftable["messages"] else [],
        tools=_decode_tools(tools, hints) if liftable["tools"] else None,
        stream=decode_stream_flag(body.get("stream", MISSING), hints),
        params=rest(body, lifted_fields(_LIFTABLE, liftable)),
        hints=hints,
    )


def _refuse_several_choices(n: Any) -> None:
    """400 for `n` > 1: the policy judges one answer, and the gateway never drops choices unseen."""
    if isinstance(n, int) and not isinstance(n, bool) and n > 1:
        raise InvalidRequest(
            f"'n' must be 1 through this gateway (got {n}): its policy checks one choice per "
            "answer. Send one request per choice instead.",
            param="n",
        )


def _is_function_tools(value: Any) -> bool:
    """A list of tool objects whose function/custom tools have an object with a string name."""
    if not isinstance(value, list):
        return False
    for tool in value:
        if not isinstance(tool, dict):
            return False
        kind = tool.get("type", "function")
        if kind in ("function", "custom"):
            inner = tool.get(kind)
            if not isinstance(inner, dict) or not isinstance(inner.get("name"), str):
                return False
    return True


def _decode_tools(value: Any, hints: dict[str, Any]) -> list[ToolSpec] | None:
    if value is MISSING:
        return None
    if value is None:
        hints["tools"] = NULL
        return None
    return [tool_spec_from_wire(tool) for tool in value]


def _decode_message(raw: Any) -> Message:
    """One message (any role); a shape the gateway does not understand is kept whole."""
    if not isinstance(raw, dict) or not isinstance(raw.get("role"), str):
        return Message("", [], hints={RAW: raw})
    role = raw["role"]
    hints: dict[str, Any] = {}
    if role == "tool":
        return _decode_tool_message(raw, hints)
    content = decode_content(raw.get("content", MISSING), hints)
    if content is None:
        return Message(role, [], hints={RAW: raw})
    if "tool_calls" not in raw:
        return Message(role, content, rest(raw, ("role", "content")), hints)
    calls = raw["tool_calls"]
    if calls is None:
        hints["tool_calls"] = NULL
    elif calls == []:
        hints["tool_calls"] = EMPTY
    elif _are_tool_calls(calls):
        hints["tool_calls"] = LIST
        content.extend(tool_call_from_wire(c) for c in calls)
    else:
        return Message(role, [], hints={RAW: raw})
    return Message(role, content, rest(raw, ("role", "content", "tool_calls")), hints)


def _are_tool_calls(value: Any) -> bool:
    """A list of tool calls the gateway can read: objects with a string id whose function (or
    custom) part has a string name and string arguments (input)."""
    if not isinstance(value, list):
        return False
    for call in value:
        if not isinstance(call, dict) or not isinstance(call.get("id"), str):
            return False
        kind = call.get("type", "function")
        args_key = "input" if kind == "custom" else "arguments"
        inner = call.get("custom" if kind == "custom" else "function")
        if kind in ("function", "custom") and not (
            isinstance(inner, dict)
            and isinstance(inner.get("name"), str)
            and isinstance(inner.get(args_key, ""), str)
        ):
            return False
    return True


def _decode_tool_message(raw: dict[str, Any], hints: dict[str, Any]) -> Message:
    call_id, content = raw.get("tool_call_id"), raw.get("content", MISSING)
    if not isinstance(call_id, str) or not (
        content is MISSING or content is None or isinstance(content, (str, list))
    ):
        return Message("tool", [], hints={RAW: raw})
    if content is MISSING:
        hints["content"] = ABSENT
        content = None
    extra = rest(raw, ("role", "content", "tool_call_id"))
    return Message("tool", [ToolResultBlock(call_id, content)], extra, hints)


def decode_content(value: Any, hints: dict[str, Any]) -> list[Block] | None:
    """A message's `content` → blocks, recording its shape in `hints["content"]`; None when it
    is neither text, null, absent nor an array of objects."""
    if isinstance(value, str):
        hints["content"] = STRING
        return [TextBlock(value)]
    if value is MISSING:
        hints["content"] = ABSENT
        return []
    if value is None:
        hints["content"] = NULL
        return []
    if not isinstance(value, list) or not all(isinstance(part, dict) for part in value):
        return None
    hints["content"] = LIST
    blocks: list[Block] = []
    for part in value:
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
    body: dict[str, Any] = {"model": request.model}
    if messages or not ("messages" in request.params or request.hints.get("messages") == ABSENT):
        body["messages"] = messages
    if request.tools is not None:
        body["tools"] = [tool_spec_to_wire(t) for t in request.tools]
    elif request.hints.get("tools") == NULL:
        body["tools"] = None
    encode_stream_flag(request, body)
    return fill(body, request.params)


def _encode_message(message: Message) -> Any:
    if RAW in message.hints:
        return message.hints[RAW]
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
