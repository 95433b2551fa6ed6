"""Neutral events → OpenAI Responses SSE bytes, event for event like OpenAI sends them.

Every event is `event: <type>` + `data: {"type", "sequence_number", …}`; `sequence_number` counts
from 0 over the events actually sent, and `output_index` / `content_index` count the items and
parts actually sent, so both stay right whatever a policy removed, replaced or added. The item
ids are the upstream's where a block came from one (a policy's notice gets a new `msg_…` item).

    MessageStart     response.created (the upstream's response object; for other answers a
                     new one, followed by response.in_progress)
    text block       [output_item.added message] content_part.added, output_text.delta…,
                     output_text.done, content_part.done (the message item is done when the
                     next item starts or the response ends)
    tool call        output_item.added, function_call_arguments.delta… / custom_tool_call_input
                     .delta…, their .done, output_item.done (local_shell_call: added and done)
    opaque item      output_item.added, its own events (renumbered), output_item.done
    MessageEnd       response.completed / .incomplete / .failed with the whole `output`,
                     `status`/`incomplete_details` consistent with the stop reason, `usage`
    OpaqueEvent      passed through (renumbered) when it came from a Responses stream
    StreamError      `error` event
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import orjson

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
    CUSTOM_CALL,
    LOCAL_SHELL_CALL,
    RESPONSE,
    TERMINAL_EVENTS,
    call_kind,
    call_to_item,
    status_of,
    usage_to_wire,
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
    Request,
    StreamError,
    TextBlock,
    TextDelta,
    ToolArgsDelta,
    ToolCallBlock,
)

_dumps = orjson.dumps
_DONE_KEYS: Final = frozenset({"response.output_item.done", "response.content_part.done"})


@dataclass(slots=True)
class _Message:
    """The message item being sent: its head, id key, index and finished parts."""

    head: dict[str, Any]
    key: Any
    output_index: int
    content: list[dict[str, Any]] = field(default_factory=list)
    parts: int = 0


@dataclass(slots=True)
class _Block:
    """A block being sent: where it sits and what it accumulated."""

    block: TextBlock | ToolCallBlock | OpaqueBlock
    output_index: int
    item_id: str
    content_index: int = 0
    pieces: list[str] = field(default_factory=list)
    done: dict[str, Any] | None = None
    relayed: list[dict[str, Any]] = field(default_factory=list)  # its events passed through


class ResponsesStreamEncoder:
    """One client stream's encoder (see module docstring)."""

    __slots__ = (
        "_blocks",
        "_calls",
        "_items",
        "_message",
        "_model",
        "_output",
        "_response",
        "_seq",
    )

    def __init__(self, request: Request) -> None:
        self._model = request.model
        self._seq = 0
        self._response: dict[str, Any] | None = None
        self._output: list[Any] = []
        self._blocks: dict[int, _Block] = {}
        self._message: _Message | None = None
        self._calls = 0
        self._items = 0  # output items started: the next `output_index`

    def encode(self, events: list[Event]) -> bytes:
        """SSE bytes for a batch of events."""
        out: list[bytes] = []
        for event in events:
            if self._response is None and not isinstance(event, (MessageStart, StreamError)):
                self._start(MessageStart("", self._model), out)
            if isinstance(event, TextDelta):
                self._text_delta(event, out)
            elif isinstance(event, ToolArgsDelta):
                self._args_delta(event, out)
            elif isinstance(event, BlockStart):
                self._block_start(event, out)
            elif isinstance(event, BlockStop):
                self._block_stop(event, out)
            elif isinstance(event, OpaqueDelta):
                self._opaque_delta(event, out)
            elif isinstance(event, MessageStart):
                if self._response is None:
                    self._start(event, out)
            elif isinstance(event, MessageEnd):
                self._end(event, out)
            elif isinstance(event, OpaqueEvent):
                self._opaque_event(event, out)
            elif isinstance(event, StreamError):
                out.append(
                    self._emit("error", code=event.error_type, message=event.message, param=None)
                )
        return b"".join(out)

    def finish(self) -> bytes:
        """Nothing: a Responses stream ends with its terminal event."""
        return b""

    # --- writing -------------------------------------------------------------------------------

    def _emit(self, kind: str, **fields: Any) -> bytes:
        payload = {"type": kind, "sequence_number": self._seq, **fields}
        self._seq += 1
        return b"event: " + kind.encode() + b"\ndata: " + _dumps(payload) + b"\n\n"

    def _relay(self, raw: dict[str, Any], name: str, **renumbered: Any) -> bytes:
        payload = dict(raw)
        payload["sequence_number"] = self._seq
        for key, value in renumbered.items():
            if key in payload:
                payload[key] = value
        self._seq += 1
        return b"event: " + name.encode() + b"\ndata: " + _dumps(payload) + b"\n\n"

    # --- events --------------------------------------------------------------------------------

    def _start(self, event: MessageStart, out: list[bytes]) -> None:
        upstream = event.extra.get(RESPONSE)
        if isinstance(upstream, dict):
            self._response = upstream
            out.append(self._emit("response.created", response=upstream))
            return
        self._response = response_shell(event.id, event.model or self._model, "in_progress")
        out.append(self._emit("response.created", response=self._response))
        out.append(self._emit("response.in_progress", response=self._response))

    def _block_start(self, event: BlockStart, out: list[bytes]) -> None:
        block = event.block
        if is_part(block):
            assert isinstance(block, (TextBlock, OpaqueBlock))
            self._part_start(event.index, block, out)
        elif isinstance(block, ToolCallBlock):
            self._close_message(out, "completed")
            state = _Block(block, self._next_output(), "")
            item = call_to_item(block, "", status="in_progress")
            state.item_id = item["id"]
            self._blocks[event.index] = state
            self._calls += 1
            if call_kind(block) != LOCAL_SHELL_CALL:
                out.append(
                    self._emit(
                        "response.output_item.added", output_index=state.output_index, item=item
                    )
                )
                if block.arguments:
                    self._args_delta(ToolArgsDelta(event.index, block.arguments), out)
        elif isinstance(block, OpaqueBlock):
            self._close_message(out, "completed")
            raw = block.raw["_raw"] if set(block.raw) == {"_raw"} else block.raw
            item_id = raw.get("id") if isinstance(raw, dict) else None
            state = _Block(block, self._next_output(), item_id if isinstance(item_id, str) else "")
            self._blocks[event.index] = state
            out.append(
                self._emit("response.output_item.added", output_index=state.output_index, item=raw)
            )

    def _part_start(self, index: int, block: TextBlock | OpaqueBlock, out: list[bytes]) -> None:
        item = item_of(block)
        key = item.get("id") if item is not None else None
        message = self._message
        if message is None or key is None or key != message.key:
            self._close_message(out, "completed")
            head = new_message(item, "in_progress")
            message = self._message = _Message(head, key, self._next_output())
            out.append(
                self._emit(
                    "response.output_item.added", output_index=message.output_index, item=head
                )
            )
        state = _Block(block, message.output_index, message.head["id"], message.parts)
        message.parts += 1
        self._blocks[index] = state
        part = text_part(block, "") if isinstance(block, TextBlock) else opaque_part(block.raw)
        out.append(
            self._emit(
                "response.content_part.added",
                item_id=state.item_id,
                output_index=state.output_index,
                content_index=state.content_index,
                part=part,
            )
        )
        if isinstance(block, TextBlock) and block.text:
            self._text_delta(TextDelta(index, block.text), out)

    def _text_delta(self, event: TextDelta, out: list[bytes]) -> None:
        state = self._blocks.get(event.index)
        if state is None or not isinstance(state.block, TextBlock) or not event.text:
            return
        state.pieces.append(event.text)
        out.append(
            self._emit(
                "response.output_text.delta",
                item_id=state.item_id,
                output_index=state.output_index,
                content_index=state.content_index,
                delta=event.text,
                logprobs=[],
            )
        )

    def _args_delta(self, event: ToolArgsDelta, out: list[bytes]) -> None:
        state = self._blocks.get(event.index)
        if state is None or not isinstance(state.block, ToolCallBlock) or not event.partial_json:
            return
        state.pieces.append(event.partial_json)
        kind = call_kind(state.block)
        if kind == LOCAL_SHELL_CALL:
            return
        name = (
            "response.custom_tool_call_input.delta"
            if kind == CUSTOM_CALL
            else "response.function_call_arguments.delta"
        )
        out.append(
            self._emit(
                name,
                item_id=state.item_id,
                output_index=state.output_index,
                delta=event.partial_json,
            )
        )

    def _opaque_delta(self, event: OpaqueDelta, out: list[bytes]) -> None:
        state = self._blocks.get(event.index)
        raw = event.raw
        kind = raw.get("type")
        if state is None or not isinstance(kind, str) or not kind.startswith("response."):
            return
        if kind in _DONE_KEYS:
            state.done = raw
            return
        state.relayed.append(raw)
        out.append(
            self._relay(
                raw,
                kind,
                output_index=state.output_index,
                content_index=state.content_index,
                item_id=state.item_id,
            )
        )

    def _block_stop(self, event: BlockStop, out: list[bytes]) -> None:
        state = self._blocks.pop(event.index, None)
        if state is None:
            return
        block = state.block
        if isinstance(block, ToolCallBlock):
            self._call_done(state, block, out)
        elif isinstance(block, TextBlock) or is_part(block):
            self._part_done(state, out)
        else:
            item = state.done.get("item") if state.done is not None else None
            if item is None:
                item = block.raw["_raw"] if set(block.raw) == {"_raw"} else block.raw
            self._output.append(item)
            out.append(
                self._emit("response.output_item.done", output_index=state.output_index, item=item)
            )

    def _part_done(self, state: _Block, out: list[bytes]) -> None:
        block = state.block
        where = {
            "item_id": state.item_id,
            "output_index": state.output_index,
            "content_index": state.content_index,
        }
        if isinstance(block, TextBlock):
            text = "".join(state.pieces)
            out.append(self._emit("response.output_text.done", **where, text=text, logprobs=[]))
            part = text_part(block, block.text + text, state.relayed)
        else:
            assert isinstance(block, OpaqueBlock)
            done_part = state.done.get("part") if state.done is not None else None
            part = done_part if isinstance(done_part, dict) else opaque_part(block.raw)
        out.append(self._emit("response.content_part.done", **where, part=part))
        if self._message is not None and self._message.output_index == state.output_index:
            self._message.content.append(part)

    def _call_done(self, state: _Block, block: ToolCallBlock, out: list[bytes]) -> None:
        arguments = block.arguments + "".join(state.pieces)
        kind = call_kind(block)
        item = call_to_item(block, arguments, status="completed")
        item["id"] = state.item_id
        where = {"item_id": state.item_id, "output_index": state.output_index}
        if kind == LOCAL_SHELL_CALL:
            added = {**item, "status": "in_progress"}
            out.append(
                self._emit(
                    "response.output_item.added", output_index=state.output_index, item=added
                )
            )
        elif kind == CUSTOM_CALL:
            out.append(self._emit("response.custom_tool_call_input.done", **where, input=arguments))
        else:
            out.append(
                self._emit("response.function_call_arguments.done", **where, arguments=arguments)
            )
        self._output.append(item)
        out.append(
            self._emit("response.output_item.done", output_index=state.output_index, item=item)
        )

    def _close_message(self, out: list[bytes], status: str) -> None:
        message = self._message
        if message is None:
            return
        self._message = None
        item = dict(message.head)
        if "status" in item:
            item["status"] = status
        item["content"] = message.content
        self._output.append(item)
        out.append(
            self._emit("response.output_item.done", output_index=message.output_index, item=item)
        )

    def _next_output(self) -> int:
        index = self._items
        self._items += 1
        return index

    def _end(self, event: MessageEnd, out: list[bytes]) -> None:
        original = event.extra.get(RESPONSE)
        original = original if isinstance(original, dict) else None
        status, incomplete = status_of(event.stop_reason, original, self._calls > 0)
        self._close_message(out, item_status(status))
        response = dict(original if original is not None else self._response or {})
        response["status"], response["incomplete_details"] = status, incomplete
        response["output"] = self._output
        if event.usage is not None:
            response["usage"] = usage_to_wire(event.usage)
        kind = TERMINAL_EVENTS.get(status, "response.completed")
        out.append(self._emit(kind, response=response))

    def _opaque_event(self, event: OpaqueEvent, out: list[bytes]) -> None:
        raw = event.raw
        kind = raw.get("type")
        if "sequence_number" not in raw or not isinstance(kind, str):
            return
        out.append(self._relay(raw, event.name or kind))
