"""OpenAI Responses non-streaming body ↔ neutral events.

Decoding gives the events a stream would: `MessageStart` (the response object without `output`
in `extra["response"]`), one block per `output_text` part, call item or other item, and
`MessageEnd` (stop reason from `status`/`incomplete_details`, usage, the response object again).
Encoding rebuilds the response object: the upstream's own fields in their place, `output` from
the blocks, `status`/`incomplete_details` consistent with the final stop reason, `usage`.
"""

from __future__ import annotations

from typing import Any

from wire.codecs.assembly import AssembledBlock, assemble
from wire.codecs.common import rest
from wire.codecs.openai_responses.items import (
    is_part,
    item_of,
    item_status,
    new_message,
    opaque_part,
    response_shell,
    text_part,
)
from wire.codecs.openai_responses.mapping import (
    CALL_TYPES,
    ITEM,
    ITEM_OF_PART,
    PART,
    RESPONSE,
    call_from_item,
    call_to_item,
    status_of,
    stop_reason_of,
    usage_from_wire,
    usage_to_wire,
)
from wire.neutral import (
    BlockStart,
    BlockStop,
    Event,
    MessageEnd,
    MessageStart,
    OpaqueBlock,
    TextBlock,
    TextDelta,
    ToolArgsDelta,
    ToolCallBlock,
)


def decode_response(body: Any) -> list[Event]:
    """A complete response object → events."""
    if not isinstance(body, dict):
        body = {}
    shell = rest(body, ("output",))
    rid, model = body.get("id"), body.get("model")
    events: list[Event] = [
        MessageStart(
            rid if isinstance(rid, str) else "",
            model if isinstance(model, str) else "",
            None,
            {RESPONSE: shell},
        )
    ]
    output = body.get("output")
    index = 0
    has_calls = False
    for item in output if isinstance(output, list) else []:
        for event_list in _item_events(item, index):
            events.extend(event_list)
            index += 1
        has_calls = has_calls or (isinstance(item, dict) and item.get("type") in CALL_TYPES)
    usage = usage_from_wire(body.get("usage"))
    events.append(MessageEnd(stop_reason_of(body, has_calls), None, usage, {RESPONSE: shell}))
    return events


def _item_events(item: Any, first: int) -> list[list[Event]]:
    """The blocks of one output item, each as its events (one block per list)."""
    if not isinstance(item, dict):
        return [[BlockStart(first, OpaqueBlock({"_raw": item})), BlockStop(first)]]
    kind = item.get("type")
    if kind in CALL_TYPES:
        call = call_from_item(item)
        start = ToolCallBlock(call.id, call.name, "", call.extra)
        events: list[Event] = [BlockStart(first, start)]
        if call.arguments:
            events.append(ToolArgsDelta(first, call.arguments))
        return [[*events, BlockStop(first)]]
    content = item.get("content")
    parts = content if isinstance(content, list) else []
    if kind == "message" and parts and all(isinstance(part, dict) for part in parts):
        head = rest(item, ("content",))
        return [_part_events(part, head, first + n) for n, part in enumerate(parts)]
    return [[BlockStart(first, OpaqueBlock(item)), BlockStop(first)]]


def _part_events(part: dict[str, Any], head: dict[str, Any], index: int) -> list[Event]:
    text = part.get("text")
    if part.get("type") == "output_text" and isinstance(text, str):
        block = TextBlock("", {ITEM: head, PART: rest(part, ("text",))})
        events: list[Event] = [BlockStart(index, block)]
        if text:
            events.append(TextDelta(index, text))
        return [*events, BlockStop(index)]
    return [BlockStart(index, OpaqueBlock({**part, ITEM_OF_PART: head})), BlockStop(index)]


# --- encode ------------------------------------------------------------------------------------


def encode_response(events: list[Event]) -> dict[str, Any]:
    """Events → a complete response object."""
    done = assemble(events)
    start, end = done.start, done.end
    original = end.extra.get(RESPONSE) if end is not None else None
    if not isinstance(original, dict) and start is not None:
        original = start.extra.get(RESPONSE)
    if not isinstance(original, dict):
        original = None
    calls = [b for b in done.blocks if isinstance(b.block, ToolCallBlock)]
    stop = end.stop_reason if end is not None else None
    status, incomplete = status_of(stop, original, bool(calls))
    if done.errors and end is None:
        status, incomplete = "failed", None
    base = original or response_shell(
        start.id if start else "", start.model if start else "", status
    )
    output = build_output(done.blocks, item_status(status))
    body: dict[str, Any] = {}
    for key, value in base.items():
        body[key] = value
        if key == "model" and "output" not in base:
            body["output"] = output
    body["output"] = output
    body["status"], body["incomplete_details"] = status, incomplete
    if done.errors and end is None:
        error = done.errors[0]
        body["error"] = {"code": error.error_type, "message": error.message}
    if end is not None and end.usage is not None:
        body["usage"] = usage_to_wire(end.usage)
    return body


def build_output(blocks: list[AssembledBlock], status: str) -> list[Any]:
    """The `output` items of assembled blocks (see `wire.codecs.openai_responses.items`)."""
    output: list[Any] = []
    message: dict[str, Any] | None = None
    message_id: Any = None
    for assembled in blocks:
        block = assembled.block
        if is_part(block):
            assert isinstance(block, (TextBlock, OpaqueBlock))
            item = item_of(block)
            item_id = item.get("id") if item is not None else None
            if message is None or item_id is None or item_id != message_id:
                message = new_message(item, status)
                message_id = item_id
                output.append(message)
            if isinstance(block, TextBlock):
                message["content"].append(text_part(block, assembled.text(), assembled.opaque))
            else:
                message["content"].append(_final_part(block, assembled.opaque))
            continue
        message, message_id = None, None
        if isinstance(block, ToolCallBlock):
            item_status = status if "status" in block.extra or not block.extra else None
            output.append(call_to_item(block, assembled.text(), status=item_status))
        elif isinstance(block, OpaqueBlock):
            output.append(_final_item(block, assembled.opaque))
    return output


def _final_item(block: OpaqueBlock, deltas: list[dict[str, Any]]) -> Any:
    """An opaque item as it ended: the `output_item.done` event's item when one was seen."""
    for raw in reversed(deltas):
        if raw.get("type") == "response.output_item.done" and "item" in raw:
            return raw["item"]
    if "_raw" in block.raw and len(block.raw) == 1:
        return block.raw["_raw"]
    return block.raw


def _final_part(block: OpaqueBlock, deltas: list[dict[str, Any]]) -> dict[str, Any]:
    for raw in reversed(deltas):
        if raw.get("type") == "response.content_part.done" and isinstance(raw.get("part"), dict):
            return dict(raw["part"])
    return opaque_part(block.raw)
