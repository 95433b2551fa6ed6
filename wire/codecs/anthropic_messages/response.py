"""Anthropic Messages non-streaming response body ↔ neutral events.

`MessageStart.extra` keeps the message's own fields (`type`, `role`, `container`, unknown ones);
`MessageEnd` carries `stop_reason`, `stop_sequence`, the full `usage`, and `stop_details` in its
extra (where a stream's `message_delta` puts it). `MessageStart.usage` carries the same full usage,
so a client that streams these events sees cache and tier fields, which Anthropic sends only in
message_start. Text → TextBlock + one TextDelta; tool_use →
ToolCallBlock + one ToolArgsDelta (compact JSON of `input`); any other block (thinking,
redacted_thinking, server_tool_use, web_search_tool_result, unknown) → BlockStart(OpaqueBlock(raw))
+ BlockStop, no deltas.

`encode_response` also assembles events from a stream: opaque deltas are applied like the
Anthropic SDK does (thinking/text appended, signature replaced, citations appended, server-tool
input JSON parsed), and usage is `message_start` usage updated by the final usage.
"""

from __future__ import annotations

from typing import Any, Final

from wire.codecs.anthropic_messages.mapping import (
    EVENT_FIELDS,
    block_from_wire,
    block_to_wire,
    input_from_arguments,
    stop_reason_to_wire,
    usage_from_anthropic,
    usage_to_anthropic,
)
from wire.codecs.assembly import AssembledBlock, assemble
from wire.codecs.common import fill, rest
from wire.errors import UpstreamUnavailable
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
    Usage,
)

_START_LIFTED: Final = ("id", "model", "content", "stop_reason", "stop_sequence", "stop_details")
_OPENAI_START_KEYS: Final = frozenset({"object", "created", "system_fingerprint", "service_tier"})
_OPENAI_END_KEYS: Final = frozenset({"finish_reason", "choice", "message", "finish_choice"})
_NOT_DELTA_KEYS: Final = frozenset({*_OPENAI_END_KEYS, EVENT_FIELDS})


def decode_response(body: Any) -> list[Event]:
    """A complete `message` body → MessageStart, blocks, MessageEnd."""
    if not isinstance(body, dict):
        raise UpstreamUnavailable("The upstream response is not a JSON object.")
    usage = body.get("usage")
    lifted = (*_START_LIFTED, "usage") if isinstance(usage, dict) else _START_LIFTED
    start_usage = usage_from_anthropic(usage)
    events: list[Event] = [
        MessageStart(
            str(body.get("id", "")), str(body.get("model", "")), start_usage, rest(body, lifted)
        )
    ]
    content = body.get("content")
    for index, raw in enumerate(content if isinstance(content, list) else ()):
        if isinstance(raw, dict):
            events += _block_events(index, raw)
    end_extra = {"stop_details": body["stop_details"]} if "stop_details" in body else {}
    stop_reason, stop_sequence = body.get("stop_reason"), body.get("stop_sequence")
    events.append(
        MessageEnd(
            stop_reason if isinstance(stop_reason, str) else None,
            stop_sequence if isinstance(stop_sequence, str) else None,
            usage_from_anthropic(usage),
            end_extra,
        )
    )
    return events


def _block_events(index: int, raw: dict[str, Any]) -> list[Event]:
    block = block_from_wire(raw)
    if isinstance(block, TextBlock):
        text, block.text = block.text, ""
        middle: list[Event] = [TextDelta(index, text)] if text else []
    elif isinstance(block, ToolCallBlock):
        arguments, block.arguments = block.arguments, ""
        middle = [ToolArgsDelta(index, arguments)] if arguments else []
    else:
        block, middle = OpaqueBlock(raw), []
    return [BlockStart(index, block), *middle, BlockStop(index)]


def encode_response(events: list[Event]) -> dict[str, Any]:
    """Events → a complete `message` body."""
    asm = assemble(events)
    start = asm.start or MessageStart("", "")
    end = asm.end or MessageEnd(None)
    has_tools = any(isinstance(b.block, ToolCallBlock) for b in asm.blocks)
    body: dict[str, Any] = {
        "id": start.id,
        "type": "message",
        "role": "assistant",
        "model": start.model,
        "content": [_encode_block(b) for b in asm.blocks],
        "stop_reason": stop_reason_to_wire(end.stop_reason, has_tool_calls=has_tools),
        "stop_sequence": end.stop_sequence,
        "usage": merged_usage(start.usage, end.usage),
    }
    fill(body, own_end_extra(end.extra))
    around = end.extra.get(EVENT_FIELDS)
    if isinstance(around, dict):
        fill(body, around)
    return fill(body, own_start_extra(start.extra))


def own_start_extra(extra: dict[str, Any]) -> dict[str, Any]:
    """`MessageStart.extra` unless it came from an OpenAI response (then its fields are foreign)."""
    return {} if any(k in extra for k in _OPENAI_START_KEYS) else extra


def own_end_extra(extra: dict[str, Any]) -> dict[str, Any]:
    """`MessageEnd.extra` as `message_delta.delta` fields: without the fields the OpenAI codec
    keeps there, and without the event's own fields (`EVENT_FIELDS`)."""
    return rest(extra, _NOT_DELTA_KEYS) if any(k in extra for k in _NOT_DELTA_KEYS) else extra


def merged_usage(start: Usage | None, end: Usage | None) -> dict[str, Any]:
    """`message_start` usage updated by the final usage (null values do not erase)."""
    merged: dict[str, Any] = dict(usage_to_anthropic(start)) if start is not None else {}
    if end is not None:
        for key, value in usage_to_anthropic(end).items():
            if value is not None or key not in merged or key == "output_tokens":
                merged[key] = value
        if end.input_tokens is not None and merged.get("input_tokens") != end.input_tokens:
            merged["input_tokens"] = end.input_tokens
    merged.setdefault("input_tokens", 0)
    merged.setdefault("output_tokens", 0)
    return merged


def _encode_block(assembled: AssembledBlock) -> dict[str, Any]:
    block = assembled.block
    if not isinstance(block, OpaqueBlock):
        out = block_to_wire(block, assembled.text())
        for delta in assembled.opaque:
            if delta.get("type") == "citations_delta":
                out["citations"] = [*(out.get("citations") or []), delta.get("citation")]
        return out
    if not assembled.opaque:
        return block.raw
    out = dict(block.raw)
    json_text: list[str] = []
    for delta in assembled.opaque:
        kind = delta.get("type")
        if kind == "thinking_delta":
            out["thinking"] = str(out.get("thinking") or "") + str(delta.get("thinking", ""))
        elif kind == "signature_delta":
            out["signature"] = delta.get("signature")
        elif kind == "text_delta":
            out["text"] = str(out.get("text") or "") + str(delta.get("text", ""))
        elif kind == "citations_delta":
            out["citations"] = [*(out.get("citations") or []), delta.get("citation")]
        elif kind == "input_json_delta":
            json_text.append(str(delta.get("partial_json", "")))
    if json_text:
        out["input"] = input_from_arguments("".join(json_text))
    return out
