"""OpenAI Responses request body ↔ neutral `Request`.

Lifted: `model`, `input`, `instructions` (a string), `tools` (a list), `stream`; every other
top-level field (`tool_choice`, `parallel_tool_calls`, `reasoning`, `include`, `store`,
`previous_response_id`, `prompt_cache_key`, `text`, unknown ones) stays in `params` untouched.

`input` as a string is one user message (hint `input: string`). As a list, every item is one
`Message`, in order:

    message (or {role, content})        role as sent; text parts → TextBlock, others opaque
    function_call / custom_tool_call /  assistant message with one ToolCallBlock
      local_shell_call
    *_call_output                       `tool` message with one ToolResultBlock
    reasoning                           assistant message with one OpaqueBlock (the whole item,
                                        `encrypted_content` included)
    anything else                       kept whole and sent back exactly as received

Every item keeps its other fields (`id`, `status`, …) in `extra`, so
`encode_request(decode_request(body)) == body`. A policy may set `Request.system`: it is sent as
`instructions`. With `previous_response_id` the conversation before this input lives on the
provider, and the policy sees only the new input.
"""

from __future__ import annotations

from typing import Any, Final

from wire.codecs.common import (
    ABSENT,
    MISSING,
    RAW,
    decode_stream_flag,
    encode_stream_flag,
    fill,
    lifted_fields,
    require_model,
    rest,
)
from wire.codecs.openai_responses.mapping import (
    CALL_TYPES,
    RESULT_TYPES,
    call_from_item,
    call_to_item,
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
)

_LIFTABLE: Final = ("model", "input", "instructions", "tools", "stream")
STRING: Final = "string"
ITEM_TYPE: Final = "item_type"
"""`Message.hints` key: the input item type the message came from."""
_TEXT_PARTS: Final = frozenset({"input_text", "output_text", "text"})
_ASSISTANT_ITEMS: Final = frozenset({"reasoning"})


# --- decode ------------------------------------------------------------------------------------


def decode_request(body: Any) -> Request:
    """Client JSON → `Request`; raises `InvalidRequest` only for what the gateway needs."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    model = require_model(body)
    hints: dict[str, Any] = {}
    raw_input = body.get("input", MISSING)
    instructions = body.get("instructions", MISSING)
    tools = body.get("tools", MISSING)
    if raw_input is not MISSING and not isinstance(raw_input, (str, list)):
        raise InvalidRequest("'input' must be a string or a list of items.", param="input")
    liftable = {
        "input": isinstance(raw_input, (str, list)),
        "instructions": isinstance(instructions, str),
        "tools": isinstance(tools, list),
    }
    messages: list[Message] = []
    if isinstance(raw_input, str):
        hints["input"] = STRING
        messages = [Message("user", [TextBlock(raw_input)])]
    elif isinstance(raw_input, list):
        messages = [_decode_item(item) for item in raw_input]
    return Request(
        format="responses",
        model=model,
        messages=messages,
        system=[TextBlock(instructions)] if isinstance(instructions, str) else None,
        tools=[tool_spec_from_wire(t) for t in tools] if isinstance(tools, list) else None,
        stream=decode_stream_flag(body.get("stream", MISSING), hints),
        params=rest(body, lifted_fields(_LIFTABLE, liftable)),
        hints=hints,
    )


def _decode_item(raw: Any) -> Message:
    """One input item (see the module docstring)."""
    if not isinstance(raw, dict):
        return Message("", [], hints={RAW: raw})
    kind = raw.get("type")
    if kind in CALL_TYPES:
        return Message("assistant", [call_from_item(raw)], hints={ITEM_TYPE: kind})
    if kind in RESULT_TYPES:
        call_id = raw.get("call_id")
        if not isinstance(call_id, str):
            return Message("", [], hints={RAW: raw})
        result = ToolResultBlock(call_id, raw.get("output"), extra=rest(raw, ("call_id", "output")))
        return Message("tool", [result], hints={ITEM_TYPE: kind})
    if kind in _ASSISTANT_ITEMS:
        return Message("assistant", [OpaqueBlock(raw)], hints={ITEM_TYPE: kind})
    role = raw.get("role")
    if (kind is None or kind == "message") and isinstance(role, str):
        content = raw.get("content")
        if isinstance(content, str):
            return Message(
                role, [TextBlock(content)], rest(raw, ("role", "content")), {"content": STRING}
            )
        if isinstance(content, list) and all(isinstance(p, dict) for p in content):
            blocks = [_decode_part(p) for p in content]
            return Message(role, blocks, rest(raw, ("role", "content")))
    return Message("", [], hints={RAW: raw})


def _decode_part(part: dict[str, Any]) -> Block:
    if part.get("type") in _TEXT_PARTS and isinstance(part.get("text"), str):
        return TextBlock(part["text"], rest(part, ("text",)))
    return OpaqueBlock(part)


# --- encode ------------------------------------------------------------------------------------


def encode_request(request: Request) -> dict[str, Any]:
    """`Request` → JSON body for a Responses upstream."""
    body: dict[str, Any] = {"model": request.model}
    if request.hints.get("input") == STRING and _is_plain_user_text(request.messages):
        body["input"] = request.messages[0].text()
    elif request.messages or "input" not in request.params:
        body["input"] = [_encode_item(m) for m in request.messages]
    if request.system is not None:
        body["instructions"] = "\n".join(b.text for b in request.system if isinstance(b, TextBlock))
    if request.tools is not None:
        body["tools"] = [tool_spec_to_wire(t) for t in request.tools]
    if request.stream or request.hints.get("stream") != ABSENT:
        encode_stream_flag(request, body)
    return fill(body, request.params)


def _is_plain_user_text(messages: list[Message]) -> bool:
    return (
        len(messages) == 1
        and messages[0].role == "user"
        and not messages[0].extra
        and all(isinstance(b, TextBlock) and not b.extra for b in messages[0].content)
    )


def _encode_item(message: Message) -> Any:
    if RAW in message.hints:
        return message.hints[RAW]
    kind = message.hints.get(ITEM_TYPE)
    if len(message.content) == 1:
        block = message.content[0]
        if isinstance(block, ToolCallBlock) and (kind in CALL_TYPES or not message.extra):
            return call_to_item(block, block.arguments, status=None, output=False)
        if isinstance(block, ToolResultBlock) and message.role == "tool":
            result_kind = block.extra.get("type") or "function_call_output"
            out: dict[str, Any] = {"type": result_kind, "call_id": block.tool_call_id}
            out["output"] = block.content
            return fill(out, block.extra)
        if isinstance(block, OpaqueBlock) and kind is not None:
            return block.raw
    return _encode_message(message)


def _encode_message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role}
    if message.hints.get("content") == STRING and all(
        isinstance(b, TextBlock) for b in message.content
    ):
        out["content"] = message.text()
    else:
        text_type = "output_text" if message.role == "assistant" else "input_text"
        out["content"] = [_encode_part(b, text_type) for b in message.content]
    return fill(out, message.extra)


def _encode_part(block: Block, text_type: str) -> Any:
    if isinstance(block, TextBlock):
        return fill({"type": block.extra.get("type", text_type), "text": block.text}, block.extra)
    if isinstance(block, OpaqueBlock):
        return block.raw
    if isinstance(block, ToolResultBlock):
        return {"type": text_type, "text": block.text()}
    return {"type": text_type, "text": ""}
