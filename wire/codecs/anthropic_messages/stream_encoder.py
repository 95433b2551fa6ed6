"""Neutral events → Anthropic Messages SSE bytes (`event: <type>\\ndata: {json}\\n\\n`).

message_start carries `{id, type, role, model, content: [], stop_reason: null,
stop_sequence: null, usage}` plus the message's extra fields; content_block_start carries the
block's starting shape (`{"type":"text","text":""}`, `{"type":"tool_use","id","name","input":{}}`,
or the opaque block's raw JSON); deltas and stops follow with the event's index as given (the
engine numbers blocks 0, 1, … as the Anthropic SDK requires). `MessageEnd` sends message_delta
and message_stop, so `finish()` has nothing to add. Text or arguments already inside a
`BlockStart` block are sent as a first delta. OpenAI-only opaque events are not sent.
`KeepAlive` is a `ping` event, as Anthropic sends.
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from wire.codecs.anthropic_messages.mapping import (
    EVENT_FIELDS,
    block_to_wire,
    stop_reason_to_wire,
    usage_to_anthropic,
)
from wire.codecs.anthropic_messages.response import own_end_extra, own_start_extra
from wire.codecs.common import fill
from wire.errors import render_stream_error
from wire.neutral import (
    BlockStart,
    BlockStop,
    Event,
    KeepAlive,
    MessageEnd,
    MessageStart,
    OpaqueBlock,
    OpaqueDelta,
    OpaqueEvent,
    Request,
    StreamError,
    TextBlock,
    TextDelta,
    ToolArgsDelta,
    ToolCallBlock,
)

_dumps = orjson.dumps
_DELTA_HEAD: Final = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":'
_TEXT_MID: Final = b',"delta":{"type":"text_delta","text":'
_JSON_MID: Final = b',"delta":{"type":"input_json_delta","partial_json":'
_STOP_HEAD: Final = b'event: content_block_stop\ndata: {"type":"content_block_stop","index":'
_MESSAGE_STOP: Final = b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
_PING: Final = b'event: ping\ndata: {"type":"ping"}\n\n'


def _frame(name: str, payload: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + _dumps(payload) + b"\n\n"


def _text_delta(index: int, text: str) -> bytes:
    return _DELTA_HEAD + b"%d" % index + _TEXT_MID + _dumps(text) + b"}}\n\n"


def _json_delta(index: int, partial: str) -> bytes:
    return _DELTA_HEAD + b"%d" % index + _JSON_MID + _dumps(partial) + b"}}\n\n"


class AnthropicStreamEncoder:
    """One client stream's encoder (see module docstring)."""

    __slots__ = ("_has_tools", "_output_tokens")

    def __init__(self, request: Request) -> None:
        self._has_tools = False
        self._output_tokens = 0  # from message_start: the count when no final usage is known

    def encode(self, events: list[Event]) -> bytes:
        """SSE bytes for a batch of events."""
        out: list[bytes] = []
        for event in events:
            if isinstance(event, TextDelta):
                out.append(_text_delta(event.index, event.text))
            elif isinstance(event, ToolArgsDelta):
                out.append(_json_delta(event.index, event.partial_json))
            elif isinstance(event, OpaqueDelta):
                payload = {"type": "content_block_delta", "index": event.index, "delta": event.raw}
                out.append(_frame("content_block_delta", payload))
            elif isinstance(event, BlockStart):
                self._block_start(event, out)
            elif isinstance(event, BlockStop):
                out.append(_STOP_HEAD + b"%d}\n\n" % event.index)
            elif isinstance(event, MessageStart):
                if event.usage is not None and event.usage.output_tokens is not None:
                    self._output_tokens = event.usage.output_tokens
                out.append(
                    _frame("message_start", {"type": "message_start", "message": _start(event)})
                )
            elif isinstance(event, MessageEnd):
                self._end(event, out)
            elif isinstance(event, OpaqueEvent):
                name = event.name or event.raw.get("type")
                if isinstance(name, str) and name:
                    out.append(_frame(name, event.raw))
            elif isinstance(event, StreamError):
                out.append(render_stream_error("anthropic", event.error_type, event.message))
            elif isinstance(event, KeepAlive):
                out.append(_PING)
        return b"".join(out)

    def finish(self) -> bytes:
        """Nothing: message_stop was sent with `MessageEnd`."""
        return b""

    def _block_start(self, event: BlockStart, out: list[bytes]) -> None:
        block, index = event.block, event.index
        follow = b""
        if isinstance(block, TextBlock):
            shape: dict[str, Any] = fill({"type": "text", "text": ""}, block.extra)
            if block.text:
                follow = _text_delta(index, block.text)
        elif isinstance(block, ToolCallBlock):
            self._has_tools = True
            kind = block.extra.get("type", "tool_use")
            shape = {"type": kind, "id": block.id, "name": block.name, "input": {}}
            fill(shape, block.extra)
            if block.arguments:
                follow = _json_delta(index, block.arguments)
        elif isinstance(block, OpaqueBlock):
            shape = block.raw
        else:
            shape = block_to_wire(block)
        payload = {"type": "content_block_start", "index": index, "content_block": shape}
        out.append(_frame("content_block_start", payload))
        if follow:
            out.append(follow)

    def _end(self, event: MessageEnd, out: list[bytes]) -> None:
        delta: dict[str, Any] = {
            "stop_reason": stop_reason_to_wire(event.stop_reason, has_tool_calls=self._has_tools),
            "stop_sequence": event.stop_sequence,
        }
        fill(delta, own_end_extra(event.extra))
        usage = (
            usage_to_anthropic(event.usage)
            if event.usage is not None
            else {"output_tokens": self._output_tokens}
        )
        payload = {"type": "message_delta", "delta": delta, "usage": usage}
        around = event.extra.get(EVENT_FIELDS)
        if isinstance(around, dict):
            fill(payload, around)
        out.append(_frame("message_delta", payload))
        out.append(_MESSAGE_STOP)


def _start(event: MessageStart) -> dict[str, Any]:
    usage = usage_to_anthropic(event.usage) if event.usage is not None else {}
    if "input_tokens" not in usage or "output_tokens" not in usage:
        usage = {"input_tokens": 0, "output_tokens": 0, **usage}
    message: dict[str, Any] = {
        "id": event.id,
        "type": "message",
        "role": "assistant",
        "model": event.model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage,
    }
    return fill(message, own_start_extra(event.extra))
