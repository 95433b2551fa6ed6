"""OpenAI Responses SSE → neutral events, one decoder per upstream stream.

    response.created                      MessageStart (the response object in extra)
    response.output_item.added  message   (remembered; its parts open the blocks)
    response.content_part.added           BlockStart: TextBlock (output_text) / OpaqueBlock
    response.output_text.delta            TextDelta
    response.output_text.done             (dropped: the encoder writes it from the text)
    response.content_part.done            BlockStop (of an opaque part: OpaqueDelta first)
    response.output_text.annotation.added OpaqueDelta of the text block
    response.output_item.added  call      BlockStart: ToolCallBlock (function_call,
                                          custom_tool_call, local_shell_call)
    response.function_call_arguments.delta / response.custom_tool_call_input.delta
                                          ToolArgsDelta (their `.done` events are dropped)
    response.output_item.added  other     BlockStart: OpaqueBlock (reasoning, built-in tool
                                          calls, unknown items); every later event of that
                                          item (reasoning summary/text deltas, its done event)
                                          is an OpaqueDelta of the block
    response.output_item.done             BlockStop (a call's arguments completed from the
                                          done item if no delta carried them)
    response.completed / .incomplete /    MessageEnd (stop reason, usage, the response object)
      .failed
    error                                 StreamError
    anything else                         OpaqueEvent, passed through in its place

Item and content indexes are the upstream's; the encoder renumbers them and every
`sequence_number`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from wire.codecs.common import as_int, compact_json, rest, unreadable_chunk
from wire.codecs.openai_responses.mapping import (
    CALL_TYPES,
    END_EVENT,
    ITEM,
    ITEM_OF_PART,
    LOCAL_SHELL_CALL,
    PART,
    RESPONSE,
    call_from_item,
    stop_reason_of,
    usage_from_wire,
)
from wire.neutral import (
    BlockStart,
    BlockStop,
    Event,
    MessageEnd,
    MessageStart,
    OpaqueBlock,
    OpaqueDelta,
    OpaqueEvent,
    StreamError,
    TextBlock,
    TextDelta,
    ToolArgsDelta,
    ToolCallBlock,
)
from wire.sse import SSEEvent

_TERMINAL: Final = frozenset({"response.completed", "response.incomplete", "response.failed"})
_ARG_DELTAS: Final = frozenset(
    {"response.function_call_arguments.delta", "response.custom_tool_call_input.delta"}
)
_ARG_DONES: Final = frozenset(
    {"response.function_call_arguments.done", "response.custom_tool_call_input.done"}
)
_ERROR_STATUS: Final[dict[str, int]] = {
    "rate_limit_exceeded": 429,
    "invalid_request_error": 400,
    "invalid_prompt": 400,
    "context_length_exceeded": 400,
    "server_error": 500,
}


@dataclass(slots=True)
class _Item:
    """One output item of the upstream: its kind, head, and the blocks it opened."""

    kind: str  # "message", "call", "opaque"
    head: dict[str, Any]
    block: int | None = None  # the call's or opaque item's block
    parts: dict[int, tuple[int, bool]] = field(default_factory=dict)  # content → (block, text)
    got_arguments: bool = False


class ResponsesStreamDecoder:
    """One upstream stream's decoder (see module docstring)."""

    __slots__ = ("_done", "_has_calls", "_items", "_next", "_open", "_started")

    def __init__(self) -> None:
        self._items: dict[int, _Item] = {}
        self._open: set[int] = set()
        self._next = 0
        self._started = False
        self._done = False
        self._has_calls = False

    def feed(self, frames: list[SSEEvent]) -> list[Event]:
        """Translate a batch of SSE events."""
        out: list[Event] = []
        for frame in frames:
            if self._done or frame.data == "[DONE]" or not frame.data:
                continue
            try:
                event = orjson.loads(frame.data)
            except orjson.JSONDecodeError:
                out.append(unreadable_chunk(frame.data))
                self._done = True
                continue
            if not isinstance(event, dict):
                out.append(OpaqueEvent({"_raw": event}, frame.event))
                continue
            self._event(event, frame.event, out)
        return out

    def finish(self) -> list[Event]:
        """End of the upstream stream: nothing is pending (the stages report a cut-off)."""
        return []

    # --- events --------------------------------------------------------------------------------

    def _event(self, event: dict[str, Any], name: str | None, out: list[Event]) -> None:
        kind = event.get("type")
        kind = kind if isinstance(kind, str) else (name or "")
        if kind == "response.created":
            self._start(event, out)
        elif kind == "response.output_item.added":
            self._item_added(event, out)
        elif kind == "response.output_item.done":
            self._item_done(event, out)
        elif kind == "response.content_part.added":
            self._part_added(event, out)
        elif kind == "response.output_text.delta":
            self._text_delta(event, out)
        elif kind in _ARG_DELTAS:
            self._arguments(event, out)
        elif kind in _TERMINAL:
            self._end(event, kind, out)
        elif kind == "error":
            out.append(_error(event))
            self._done = True
        else:
            self._other(event, kind, name, out)

    def _start(self, event: dict[str, Any], out: list[Event]) -> None:
        response = event.get("response")
        response = response if isinstance(response, dict) else {}
        self._started = True
        rid, model = response.get("id"), response.get("model")
        out.append(
            MessageStart(
                rid if isinstance(rid, str) else "",
                model if isinstance(model, str) else "",
                usage_from_wire(response.get("usage")),
                {RESPONSE: response},
            )
        )

    def _item_added(self, event: dict[str, Any], out: list[Event]) -> None:
        output_index = as_int(event.get("output_index"))
        item = event.get("item")
        if output_index is None or not isinstance(item, dict):
            out.append(OpaqueEvent(event, "response.output_item.added"))
            return
        kind = item.get("type")
        if kind == "message":
            self._items[output_index] = _Item("message", rest(item, ("content",)))
            return
        if kind in CALL_TYPES:
            self._has_calls = True
            call = call_from_item(item)
            block = self._open_block(ToolCallBlock(call.id, call.name, "", call.extra), out)
            self._items[output_index] = _Item("call", item, block)
            if call.arguments and kind != LOCAL_SHELL_CALL:
                out.append(ToolArgsDelta(block, call.arguments))
                self._items[output_index].got_arguments = True
            return
        block = self._open_block(OpaqueBlock(item), out)
        self._items[output_index] = _Item("opaque", item, block)

    def _item_done(self, event: dict[str, Any], out: list[Event]) -> None:
        entry = self._items.pop(as_int(event.get("output_index")) or 0, None)
        if entry is None:
            out.append(OpaqueEvent(event, "response.output_item.done"))
            return
        if entry.kind == "message":
            for block, _ in entry.parts.values():
                self._close_block(block, out)
            return
        assert entry.block is not None
        item = event.get("item")
        if entry.kind == "opaque":
            out.append(OpaqueDelta(entry.block, event))
        elif isinstance(item, dict) and not entry.got_arguments:
            arguments = call_from_item(item).arguments
            if item.get("type") == LOCAL_SHELL_CALL and "action" in item:
                arguments = compact_json(item["action"])
            if arguments:
                out.append(ToolArgsDelta(entry.block, arguments))
        self._close_block(entry.block, out)

    def _part_added(self, event: dict[str, Any], out: list[Event]) -> None:
        entry = self._items.get(as_int(event.get("output_index")) or 0)
        content_index = as_int(event.get("content_index"))
        part = event.get("part")
        if entry is None or entry.kind != "message" or content_index is None:
            self._other(event, "response.content_part.added", None, out)
            return
        part = part if isinstance(part, dict) else {}
        text = part.get("text")
        if part.get("type") == "output_text" and isinstance(text, str):
            block = self._open_block(
                TextBlock(text, {ITEM: entry.head, PART: rest(part, ("text",))}), out
            )
            entry.parts[content_index] = (block, True)
        else:
            block = self._open_block(OpaqueBlock({**part, ITEM_OF_PART: entry.head}), out)
            entry.parts[content_index] = (block, False)

    def _text_delta(self, event: dict[str, Any], out: list[Event]) -> None:
        found = self._part_of(event)
        delta = event.get("delta")
        if found is None or not found[1] or not isinstance(delta, str):
            self._other(event, "response.output_text.delta", None, out)
            return
        if delta:
            out.append(TextDelta(found[0], delta))

    def _arguments(self, event: dict[str, Any], out: list[Event]) -> None:
        entry = self._items.get(as_int(event.get("output_index")) or 0)
        delta = event.get("delta")
        if entry is None or entry.kind != "call" or entry.block is None:
            out.append(OpaqueEvent(event, str(event.get("type"))))
            return
        if isinstance(delta, str) and delta:
            entry.got_arguments = True
            out.append(ToolArgsDelta(entry.block, delta))

    def _other(self, event: dict[str, Any], kind: str, name: str | None, out: list[Event]) -> None:
        """An event the decoder does not translate: a delta of its item's block, or dropped when
        the encoder writes it anyway, or passed through as it is."""
        entry = self._items.get(as_int(event.get("output_index")) or 0)
        if entry is None or "output_index" not in event:
            out.append(OpaqueEvent(event, name or kind))
            return
        if entry.kind == "opaque" and entry.block is not None:
            out.append(OpaqueDelta(entry.block, event))
            return
        if entry.kind == "call":
            if kind not in _ARG_DONES:
                out.append(OpaqueEvent(event, name or kind))
            return
        found = self._part_of(event)
        if found is None:
            out.append(OpaqueEvent(event, name or kind))
            return
        block, is_text = found
        if kind == "response.content_part.done":
            if not is_text:
                out.append(OpaqueDelta(block, event))
            self._close_block(block, out)
        elif not (is_text and kind == "response.output_text.done"):
            out.append(OpaqueDelta(block, event))

    def _part_of(self, event: dict[str, Any]) -> tuple[int, bool] | None:
        entry = self._items.get(as_int(event.get("output_index")) or 0)
        content_index = as_int(event.get("content_index"))
        if entry is None or entry.kind != "message" or content_index is None:
            return None
        return entry.parts.get(content_index)

    def _end(self, event: dict[str, Any], kind: str, out: list[Event]) -> None:
        for entry in list(self._items.values()):
            blocks = [b for b, _ in entry.parts.values()] if entry.kind == "message" else []
            if entry.block is not None:
                blocks.append(entry.block)
            for block in blocks:
                self._close_block(block, out)
        self._items.clear()
        response = event.get("response")
        response = response if isinstance(response, dict) else {}
        shell = rest(response, ("output",))
        output = response.get("output")
        has_calls = self._has_calls or (
            isinstance(output, list)
            and any(isinstance(i, dict) and i.get("type") in CALL_TYPES for i in output)
        )
        extra = {RESPONSE: shell, END_EVENT: kind}
        stop = stop_reason_of(response, has_calls)
        out.append(MessageEnd(stop, None, usage_from_wire(response.get("usage")), extra))
        self._done = True

    # --- blocks --------------------------------------------------------------------------------

    def _open_block(self, block: TextBlock | ToolCallBlock | OpaqueBlock, out: list[Event]) -> int:
        index = self._next
        self._next += 1
        self._open.add(index)
        out.append(BlockStart(index, block))
        return index

    def _close_block(self, index: int, out: list[Event]) -> None:
        if index in self._open:
            self._open.discard(index)
            out.append(BlockStop(index))


def _error(event: dict[str, Any]) -> StreamError:
    """An `error` event → StreamError (also the nested `{"error": {…}}` shape)."""
    inner = event.get("error")
    source = inner if isinstance(inner, dict) else event
    code = source.get("code") or source.get("type")
    code = code if isinstance(code, str) and code and code != "error" else "server_error"
    message = source.get("message")
    message = message if isinstance(message, str) and message else "upstream stream error"
    status = as_int(source.get("status")) or _ERROR_STATUS.get(code, 500)
    return StreamError(status, code, message)
