"""Anthropic Messages request body ↔ neutral `Request`.

Lifted: `model`, `system`, `messages`, `tools`, `stream`; every other top-level field
(`max_tokens`, `metadata`, `stop_sequences`, `tool_choice`, `thinking`, …) stays in `params`
untouched. Content blocks: text → `TextBlock`, tool_use → `ToolCallBlock` (arguments = compact JSON
of `input`), tool_result → `ToolResultBlock`, everything else (thinking, redacted_thinking, image,
document, server tool blocks, unknown types) → `OpaqueBlock`. Shape hints (system / content was a
string, null) make `encode_request(decode_request(body)) == body`.

System or developer messages (which a policy or another format may add) are moved into `system`;
`tool` messages are sent as `user` messages (their tool results are valid Anthropic blocks).
"""

from __future__ import annotations

from typing import Any, Final

from gateway.codecs.anthropic_messages.mapping import (
    block_from_wire,
    block_to_wire,
    tool_spec_from_wire,
    tool_spec_to_wire,
)
from gateway.codecs.common import (
    MISSING,
    NULL,
    as_int,
    decode_stream_flag,
    encode_stream_flag,
    fill,
    rest,
)
from gateway.errors import InvalidRequest
from gateway.neutral import Block, Message, Request, TextBlock, ToolSpec

ROLES: Final = ("user", "assistant")
_LIFTED: Final = frozenset({"model", "system", "messages", "tools", "stream"})
STRING, LIST = "string", "list"


# --- decode ------------------------------------------------------------------------------------


def decode_request(body: Any) -> Request:
    """Client JSON → `Request`; raises `InvalidRequest` for schema errors."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("'model' is required and must be a non-empty string.", param="model")
    max_tokens = as_int(body.get("max_tokens"))
    if max_tokens is None or max_tokens < 1:
        raise InvalidRequest(
            "'max_tokens' is required and must be a positive integer.", param="max_tokens"
        )
    raw_messages = body.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise InvalidRequest(
            "'messages' is required and must be a non-empty array.", param="messages"
        )
    hints: dict[str, Any] = {}
    return Request(
        format="anthropic",
        model=model,
        messages=[_decode_message(m, f"messages[{i}]") for i, m in enumerate(raw_messages)],
        system=_decode_system(body.get("system", MISSING), hints),
        tools=_decode_tools(body.get("tools", MISSING), hints),
        stream=decode_stream_flag(body.get("stream", MISSING), hints),
        params=rest(body, _LIFTED),
        hints=hints,
    )


def _decode_system(value: Any, hints: dict[str, Any]) -> list[Block] | None:
    if value is MISSING:
        return None
    if value is None:
        hints["system"] = NULL
        return None
    if isinstance(value, str):
        hints["system"] = STRING
        return [TextBlock(value)]
    if not isinstance(value, list):
        raise InvalidRequest(
            "'system' must be a string or an array of text blocks.", param="system"
        )
    hints["system"] = LIST
    return [_decode_block(b, f"system[{i}]") for i, b in enumerate(value)]


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
        if not isinstance(tool, dict):
            raise InvalidRequest(f"tools[{i}] must be an object.", param=f"tools[{i}]")
        specs.append(tool_spec_from_wire(tool))
    return specs


def _decode_message(raw: Any, where: str) -> Message:
    if not isinstance(raw, dict):
        raise InvalidRequest(f"{where} must be an object.", param=where)
    role = raw.get("role")
    if role not in ROLES:
        raise InvalidRequest(
            f'{where}.role must be "user" or "assistant"; got {role!r} '
            "(a system prompt goes in the top-level 'system' field).",
            param=f"{where}.role",
        )
    content = raw.get("content", MISSING)
    hints: dict[str, Any] = {}
    if isinstance(content, str):
        hints["content"] = STRING
        blocks: list[Block] = [TextBlock(content)]
    elif isinstance(content, list):
        hints["content"] = LIST
        blocks = [_decode_block(b, f"{where}.content[{i}]") for i, b in enumerate(content)]
    else:
        raise InvalidRequest(
            f"{where}.content is required and must be a string or an array of content blocks.",
            param=f"{where}.content",
        )
    return Message(role, blocks, rest(raw, ("role", "content")), hints)


def _decode_block(raw: Any, where: str) -> Block:
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise InvalidRequest(f"{where} must be an object with a string 'type'.", param=where)
    kind = raw["type"]
    if kind == "tool_use" and not (
        isinstance(raw.get("id"), str)
        and isinstance(raw.get("name"), str)
        and isinstance(raw.get("input"), dict)
    ):
        raise InvalidRequest(
            f"{where}: a tool_use block needs a string 'id', a string 'name' and an object "
            "'input'.",
            param=where,
        )
    if kind == "tool_result" and not isinstance(raw.get("tool_use_id"), str):
        raise InvalidRequest(
            f"{where}: a tool_result block needs a string 'tool_use_id'.", param=where
        )
    if kind == "text" and not isinstance(raw.get("text"), str):
        raise InvalidRequest(f"{where}: a text block needs a string 'text'.", param=where)
    return block_from_wire(raw)


# --- encode ------------------------------------------------------------------------------------


def encode_request(request: Request) -> dict[str, Any]:
    """`Request` → JSON body for an Anthropic-compatible upstream."""
    system = list(request.system) if request.system is not None else None
    messages = []
    for message in request.messages:
        if message.role in ("system", "developer"):
            system = (system or []) + [b for b in message.content if isinstance(b, TextBlock)]
        else:
            messages.append(_encode_message(message))
    body: dict[str, Any] = {"model": request.model}
    hint = request.hints.get("system")
    if system is not None:
        body["system"] = _encode_blocks(system, hint)
    elif hint == NULL:
        body["system"] = None
    body["messages"] = messages
    if request.tools is not None:
        body["tools"] = [tool_spec_to_wire(t) for t in request.tools]
    elif request.hints.get("tools") == NULL:
        body["tools"] = None
    encode_stream_flag(request, body)
    return fill(body, request.params)


def _encode_message(message: Message) -> dict[str, Any]:
    role = "user" if message.role == "tool" else message.role
    out = {"role": role, "content": _encode_blocks(message.content, message.hints.get("content"))}
    return fill(out, message.extra)


def _encode_blocks(blocks: list[Block], hint: str | None) -> str | list[dict[str, Any]]:
    """A string when it was one (or a lone plain text block nobody gave a shape), else blocks."""
    if hint != LIST:
        if not blocks and hint == STRING:
            return ""
        if len(blocks) == 1 and isinstance(blocks[0], TextBlock) and not blocks[0].extra:
            return blocks[0].text
    return [block_to_wire(b) for b in blocks]
