"""An upstream's response events, reshaped for a client of another format.

The events a codec decodes are already neutral; what stays format-specific is dropped or
rebuilt here, once, whatever the pair of formats:

- text blocks and the client's own tool calls pass (their `extra`, e.g. citations, dropped); a
  call of a tool the request renamed (`Canonical.call_names`) gets its client name back, and a
  call whose input the request wrapped in one JSON string argument (a Responses custom tool)
  is held to its end and released as that string;
- blocks the client's format cannot carry (thinking, redacted thinking, provider-run tools and
  their results, unknown blocks) are dropped with their deltas, noted; the remaining blocks are
  renumbered 0, 1, … so the client sees no gap;
- opaque events (ping, OpenAI refusal / reasoning deltas, logprobs) are dropped; reasoning and
  refusals are noted;
- `MessageStart` / `MessageEnd` keep id, model, stop reason and stop sequence, lose their
  provider fields, and carry usage recounted through the canonical counting;
- a mid-stream error keeps status and message, with the client format's error type.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson

from wire.errors import error_type_for_status
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
    StreamError,
    TextBlock,
    TextDelta,
    ToolArgsDelta,
    ToolCallBlock,
    Usage,
    WireFormat,
)
from wire.translation.canonical import ClientCall
from wire.translation.support import Notes

UsageMap = Callable[[Usage], Usage]
_NOTED_FIELDS = ("reasoning_content", "reasoning", "refusal")
_NONE_IN_CLIENT = "(the client's format has none)"


class EventTranslator:
    """One response's events from the upstream's format to the client's (stateful: block
    indexes are renumbered as blocks are dropped)."""

    __slots__ = (
        "_call_names",
        "_client",
        "_held",
        "_index",
        "_lift_usage",
        "_lower_usage",
        "_next",
        "_notes",
        "_start_usage",
    )

    def __init__(
        self,
        client: WireFormat,
        lift_usage: UsageMap,
        lower_usage: UsageMap,
        notes: Notes,
        call_names: dict[str, ClientCall] | None = None,
    ) -> None:
        self._client = client
        self._call_names = call_names or {}
        self._lift_usage, self._lower_usage = lift_usage, lower_usage
        self._notes = notes
        self._index: dict[int, int | None] = {}  # upstream index → client index (None: dropped)
        self._next = 0
        self._start_usage: Usage | None = None  # canonical usage of MessageStart
        self._held: dict[int, tuple[str, list[str]]] = {}  # client index → (key, JSON pieces)

    def feed(self, events: list[Event]) -> list[Event]:
        """Translate one batch."""
        out: list[Event] = []
        for event in events:
            translated = self._one(event)
            if translated is None:
                continue
            if isinstance(translated, BlockStop) and translated.index in self._held:
                out.append(self._unwrapped(translated.index))
            out.append(translated)
        return out

    def _one(self, event: Event) -> Event | None:
        if isinstance(event, (TextDelta, ToolArgsDelta, OpaqueDelta, BlockStop)):
            index = self._index.get(event.index)
            if index is None or isinstance(event, OpaqueDelta):
                return None
            event.index = index
            if isinstance(event, ToolArgsDelta) and index in self._held:
                self._held[index][1].append(event.partial_json)
                return None
            return event
        if isinstance(event, BlockStart):
            return self._start(event)
        if isinstance(event, MessageStart):
            if event.usage is not None:
                self._start_usage = self._lift_usage(event.usage)
            usage = None if self._start_usage is None else self._lower_usage(self._start_usage)
            return MessageStart(event.id, event.model, usage)
        if isinstance(event, MessageEnd):
            self._note_message_fields(event)
            return MessageEnd(event.stop_reason, event.stop_sequence, self._end_usage(event.usage))
        if isinstance(event, StreamError):
            kind = error_type_for_status(self._client, event.status)
            return StreamError(event.status, kind, event.message)
        if isinstance(event, KeepAlive):  # the gateway's own heartbeat: every format has one
            return event
        self._note_opaque_event(event)
        return None

    def _start(self, event: BlockStart) -> BlockStart | None:
        block = event.block
        kept: TextBlock | ToolCallBlock | None = None
        if isinstance(block, TextBlock):
            kept = TextBlock(block.text)
        elif isinstance(block, ToolCallBlock) and not block.runs_upstream:
            renamed = self._call_names.get(block.name)
            if renamed is None:
                kept = ToolCallBlock(block.id, block.name, block.arguments)
            else:
                kept = ToolCallBlock(block.id, renamed.name, "", dict(renamed.extra))
                if renamed.unwrap is None:
                    kept.arguments = block.arguments
                else:
                    self._held[self._next] = (renamed.unwrap, [block.arguments])
        else:
            kind = block.type if isinstance(block, OpaqueBlock) else block.extra.get("type")
            self._notes.add(f"{kind} blocks of the answer were dropped {_NONE_IN_CLIENT}")
        if kept is None:
            self._index[event.index] = None
            return None
        self._index[event.index] = self._next
        self._next += 1
        return BlockStart(self._index[event.index] or 0, kept)

    def _unwrapped(self, index: int) -> ToolArgsDelta:
        """A held call's input: the string under its key (the whole JSON text if the model
        did not answer in that shape, noted)."""
        key, pieces = self._held.pop(index)
        text = "".join(pieces)
        try:
            value = orjson.loads(text) if text.strip() else {}
        except orjson.JSONDecodeError:
            value = None
        if isinstance(value, dict) and isinstance(value.get(key), str):
            return ToolArgsDelta(index, value[key])
        self._notes.add(f"a custom tool call's arguments had no string '{key}': sent as they came")
        return ToolArgsDelta(index, text)

    def _end_usage(self, usage: Usage | None) -> Usage | None:
        """The final usage; what only the start said (Anthropic streams give input tokens and
        cache counts in `message_start`) fills the gaps."""
        end = None if usage is None else self._lift_usage(usage)
        start = self._start_usage
        if start is None:
            return None if end is None else self._lower_usage(end)
        if end is None:
            return self._lower_usage(start)
        counts = {**(start.raw or {}), **(end.raw or {})}
        input_tokens = end.input_tokens if end.input_tokens is not None else start.input_tokens
        output = end.output_tokens if end.output_tokens is not None else start.output_tokens
        return self._lower_usage(Usage(input_tokens, output, counts))

    def _note_opaque_event(self, event: OpaqueEvent) -> None:
        delta = event.raw.get("delta") if event.name is None else None
        if isinstance(delta, dict):
            self._note_fields(delta)

    def _note_message_fields(self, event: MessageEnd) -> None:
        message = event.extra.get("message")  # a complete OpenAI answer's other message fields
        if isinstance(message, dict):
            self._note_fields(message)

    def _note_fields(self, fields: dict[str, object]) -> None:
        for key in _NOTED_FIELDS:
            if fields.get(key):
                self._notes.add(f"'{key}' of the answer was dropped {_NONE_IN_CLIENT}")
