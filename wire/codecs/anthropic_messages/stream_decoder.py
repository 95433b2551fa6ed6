"""Anthropic Messages SSE events → neutral events.

message_start → MessageStart (the message's extra fields, its usage); content_block_start →
BlockStart (text → TextBlock, tool_use → ToolCallBlock, anything else → OpaqueBlock(raw));
content_block_delta → TextDelta / ToolArgsDelta / OpaqueDelta(raw delta) (thinking, signature,
citations, server-tool input JSON, unknown); content_block_stop → BlockStop; message_delta is
remembered and message_stop emits MessageEnd (its usage is the delta's own usage object, with
`input_tokens` taken from message_start when the delta has none; the delta's other fields such as
`stop_details`/`container` in extra, and the event's own fields beside `delta`/`usage`, such as
`context_management`, in `extra[EVENT_FIELDS]`). ping → OpaqueEvent(name="ping"); error →
StreamError (then the decoder is silent); unknown event types → OpaqueEvent. Block indexes are
Anthropic's own. `finish()` closes open blocks and emits MessageEnd if the upstream never sent
message_stop.
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from wire.codecs.anthropic_messages.mapping import (
    EVENT_FIELDS,
    block_from_wire,
    usage_from_anthropic,
)
from wire.codecs.common import as_int, compact_json, rest, stream_error, unreadable_chunk
from wire.neutral import (
    BlockStart,
    BlockStop,
    Event,
    MessageEnd,
    MessageStart,
    OpaqueBlock,
    OpaqueDelta,
    OpaqueEvent,
    TextBlock,
    TextDelta,
    ToolArgsDelta,
    ToolCallBlock,
)
from wire.sse import SSEEvent

_MESSAGE_LIFTED: Final = ("id", "model", "usage", "content", "stop_reason", "stop_sequence")
TEXT, TOOL, OPAQUE = "text", "tool", "opaque"


class AnthropicStreamDecoder:
    """One upstream stream's decoder (see module docstring)."""

    __slots__ = ("_done", "_end", "_input_tokens", "_open", "_started")

    def __init__(self) -> None:
        self._started = False
        self._done = False
        self._open: dict[int, str] = {}  # open block index → kind
        self._input_tokens: int | None = None
        self._end = MessageEnd(None)

    def feed(self, events: list[SSEEvent]) -> list[Event]:
        """Translate a batch of SSE events."""
        out: list[Event] = []
        for sse in events:
            if self._done:
                break
            if not sse.data:
                continue
            try:
                payload = orjson.loads(sse.data)
            except orjson.JSONDecodeError:
                out.append(unreadable_chunk(sse.data))
                self._done = True
                continue
            if isinstance(payload, dict):
                self._event(payload.get("type") or sse.event, payload, out)
        return out

    def finish(self) -> list[Event]:
        """End of the upstream stream: close open blocks, emit MessageEnd if missing."""
        out: list[Event] = []
        if self._started and not self._done:
            self._stop(out)
        self._done = True
        return out

    def _event(self, kind: Any, payload: dict[str, Any], out: list[Event]) -> None:
        if kind == "content_block_delta":
            self._delta(payload, out)
        elif kind == "content_block_start":
            self._block_start(payload, out)
        elif kind == "content_block_stop":
            index = as_int(payload.get("index"))
            if index is not None and self._open.pop(index, None) is not None:
                out.append(BlockStop(index))
        elif kind == "message_start":
            self._message_start(payload, out)
        elif kind == "message_delta":
            self._message_delta(payload)
        elif kind == "message_stop":
            self._stop(out)
        elif kind == "error":
            out.append(stream_error(payload.get("error"), default_type="api_error"))
            self._done = True
        else:
            out.append(OpaqueEvent(payload, kind if isinstance(kind, str) else None))

    def _message_start(self, payload: dict[str, Any], out: list[Event]) -> None:
        message = payload.get("message")
        if self._started or not isinstance(message, dict):
            return
        self._started = True
        usage = usage_from_anthropic(message.get("usage"))
        self._input_tokens = usage.input_tokens if usage is not None else None
        extra = rest(message, _MESSAGE_LIFTED)
        out.append(
            MessageStart(str(message.get("id", "")), str(message.get("model", "")), usage, extra)
        )

    def _block_start(self, payload: dict[str, Any], out: list[Event]) -> None:
        index, raw = as_int(payload.get("index")), payload.get("content_block")
        if index is None or not isinstance(raw, dict):
            return
        block = block_from_wire(raw)
        follow: Event | None = None
        if isinstance(block, TextBlock):
            self._open[index] = TEXT
            if block.text:
                follow, block.text = TextDelta(index, block.text), ""
        elif isinstance(block, ToolCallBlock):
            self._open[index] = TOOL
            initial = raw.get("input")
            if initial:  # Anthropic sends `{}`: the arguments follow as input_json_delta
                follow = ToolArgsDelta(index, compact_json(initial))
            block.arguments = ""
        else:
            self._open[index] = OPAQUE
            block = OpaqueBlock(raw)
        out.append(BlockStart(index, block))
        if follow is not None:
            out.append(follow)

    def _delta(self, payload: dict[str, Any], out: list[Event]) -> None:
        index, delta = as_int(payload.get("index")), payload.get("delta")
        kind = self._open.get(index) if index is not None else None
        if kind is None or index is None or not isinstance(delta, dict):
            return  # a delta for a block that is not open: dropped
        delta_type = delta.get("type")
        if delta_type == "text_delta" and kind == TEXT:
            out.append(TextDelta(index, str(delta.get("text", ""))))
        elif delta_type == "input_json_delta" and kind == TOOL:
            out.append(ToolArgsDelta(index, str(delta.get("partial_json", ""))))
        else:
            out.append(OpaqueDelta(index, delta))

    def _message_delta(self, payload: dict[str, Any]) -> None:
        delta = payload.get("delta")
        delta = delta if isinstance(delta, dict) else {}
        stop_reason, stop_sequence = delta.get("stop_reason"), delta.get("stop_sequence")
        self._end = MessageEnd(
            stop_reason if isinstance(stop_reason, str) else None,
            stop_sequence if isinstance(stop_sequence, str) else None,
            usage_from_anthropic(payload.get("usage"), input_tokens=self._input_tokens),
            rest(delta, ("stop_reason", "stop_sequence")),
        )
        around = rest(payload, ("type", "delta", "usage"))
        if around:  # e.g. `context_management`: fields of the event itself, beside the delta
            self._end.extra[EVENT_FIELDS] = around

    def _stop(self, out: list[Event]) -> None:
        if self._done or not self._started:
            self._done = True
            return
        self._done = True
        out.extend(BlockStop(index) for index in self._open)
        self._open.clear()
        out.append(self._end)
