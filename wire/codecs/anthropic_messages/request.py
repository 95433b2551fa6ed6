"""Anthropic Messages request body ↔ neutral `Request`.

Lifted: `model`, `system`, `messages`, `tools`, `stream`; every other top-level field
(`max_tokens`, `metadata`, `stop_sequences`, `tool_choice`, `thinking`, …) stays in `params`
untouched. Content blocks: text → `TextBlock`, tool_use → `ToolCallBlock` (arguments = compact JSON
of `input`), tool_result → `ToolResultBlock`, everything else (thinking, redacted_thinking, image,
document, server tool blocks, unknown types, malformed known types) → `OpaqueBlock`. Shape hints
(system / content was a string, null) make `encode_request(decode_request(body)) == body`.

Transparent by default: the gateway checks only what it needs itself (a JSON object, a string
`model`, a boolean `stream`). Everything else is the upstream's to judge: any role passes
(Claude Code ends `messages` with a `system` message), and a value whose shape the gateway does
not understand (a `messages` that is not an array, a message whose content is a number, a
`system` that is an object, …) is carried whole and sent back exactly as received; policies
then see no content in it. System or developer messages stay where the client put them.
"""

from __future__ import annotations

from typing import Any, Final

from wire.codecs.anthropic_messages.mapping import (
    block_from_wire,
    block_to_wire,
    tool_spec_from_wire,
    tool_spec_to_wire,
)
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
from wire.errors import InvalidRequest
from wire.neutral import Block, Message, Request, TextBlock, ToolSpec

_LIFTABLE: Final = ("model", "system", "messages", "tools", "stream")
STRING, LIST = "string", "list"


# --- decode ------------------------------------------------------------------------------------


def decode_request(body: Any) -> Request:
    """Client JSON → `Request`; raises `InvalidRequest` only for what the gateway needs."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    model = require_model(body)
    hints: dict[str, Any] = {}
    system, tools = body.get("system", MISSING), body.get("tools", MISSING)
    messages = body.get("messages", MISSING)
    liftable = {
        "system": system is MISSING or system is None or _is_blocks(system, text_ok=True),
        "tools": tools is MISSING or tools is None or _is_objects(tools),
        "messages": isinstance(messages, list),
    }
    if messages is MISSING:
        hints["messages"] = ABSENT
    return Request(
        format="anthropic",
        model=model,
        messages=[_decode_message(m) for m in messages] if liftable["messages"] else [],
        system=_decode_system(system, hints) if liftable["system"] else None,
        tools=_decode_tools(tools, hints) if liftable["tools"] else None,
        stream=decode_stream_flag(body.get("stream", MISSING), hints),
        params=rest(body, lifted_fields(_LIFTABLE, liftable)),
        hints=hints,
    )


def _is_objects(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _is_blocks(value: Any, *, text_ok: bool = False) -> bool:
    """A string (when `text_ok`) or a list of objects that each have a string `type`."""
    if isinstance(value, str):
        return text_ok
    return _is_objects(value) and all(isinstance(b.get("type"), str) for b in value)


def _decode_system(value: Any, hints: dict[str, Any]) -> list[Block] | None:
    if value is MISSING:
        return None
    if value is None:
        hints["system"] = NULL
        return None
    if isinstance(value, str):
        hints["system"] = STRING
        return [TextBlock(value)]
    hints["system"] = LIST
    return [block_from_wire(b) for b in value]


def _decode_tools(value: Any, hints: dict[str, Any]) -> list[ToolSpec] | None:
    if value is MISSING:
        return None
    if value is None:
        hints["tools"] = NULL
        return None
    return [tool_spec_from_wire(tool) for tool in value]


def _decode_message(raw: Any) -> Message:
    """One message; a shape the gateway does not understand is kept whole (`hints[RAW]`)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("role"), str):
        return Message("", [], hints={RAW: raw})
    role, content = raw["role"], raw.get("content", MISSING)
    hints: dict[str, Any] = {}
    if isinstance(content, str):
        hints["content"] = STRING
        blocks: list[Block] = [TextBlock(content)]
    elif _is_blocks(content):
        hints["content"] = LIST
        blocks = [block_from_wire(b) for b in content]
    else:
        return Message(role, [], hints={RAW: raw})
    return Message(role, blocks, rest(raw, ("role", "content")), hints)


# --- encode ------------------------------------------------------------------------------------


def encode_request(request: Request) -> dict[str, Any]:
    """`Request` → JSON body for an Anthropic-compatible upstream."""
    body: dict[str, Any] = {"model": request.model}
    hint = request.hints.get("system")
    if request.system is not None:
        body["system"] = _encode_blocks(request.system, hint)
    elif hint == NULL:
        body["system"] = None
    if request.messages or not (
        "messages" in request.params or request.hints.get("messages") == ABSENT
    ):
        body["messages"] = [_encode_message(m) for m in request.messages]
    if request.tools is not None:
        body["tools"] = [tool_spec_to_wire(t) for t in request.tools]
    elif request.hints.get("tools") == NULL:
        body["tools"] = None
    encode_stream_flag(request, body)
    return fill(body, request.params)


def _encode_message(message: Message) -> Any:
    if RAW in message.hints:
        return message.hints[RAW]
    out = {
        "role": message.role,
        "content": _encode_blocks(message.content, message.hints.get("content")),
    }
    return fill(out, message.extra)


def _encode_blocks(blocks: list[Block], hint: str | None) -> str | list[dict[str, Any]]:
    """A string when it was one (or a lone plain text block nobody gave a shape), else blocks."""
    if hint != LIST:
        if not blocks and hint == STRING:
            return ""
        if len(blocks) == 1 and isinstance(blocks[0], TextBlock) and not blocks[0].extra:
            return blocks[0].text
    return [block_to_wire(b) for b in blocks]
