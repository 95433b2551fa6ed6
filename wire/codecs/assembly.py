"""Assemble a neutral event sequence into complete blocks, for non-streaming response bodies.

Both codecs' `encode_response` use it. Block indexes may be any numbers: blocks are kept in the
order their `BlockStart` arrived; deltas for an index that never started are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from wire.neutral import (
    Block,
    BlockStart,
    Event,
    MessageEnd,
    MessageStart,
    OpaqueDelta,
    OpaqueEvent,
    StreamError,
    TextBlock,
    TextDelta,
    ToolArgsDelta,
    ToolCallBlock,
)


def _parts() -> list[str]:
    return []


def _raws() -> list[dict[str, Any]]:
    return []


@dataclass(slots=True)
class AssembledBlock:
    """One block with its deltas: text pieces / argument pieces, and raw opaque deltas."""

    block: Block
    parts: list[str] = field(default_factory=_parts)
    opaque: list[dict[str, Any]] = field(default_factory=_raws)

    def text(self) -> str:
        """The full text of a text block, or the full argument JSON text of a tool call."""
        if isinstance(self.block, TextBlock):
            return self.block.text + "".join(self.parts)
        if isinstance(self.block, ToolCallBlock):
            return self.block.arguments + "".join(self.parts)
        return "".join(self.parts)


@dataclass(slots=True)
class Assembled:
    """A whole response: its start and end events, blocks in order, and stray events."""

    start: MessageStart | None = None
    end: MessageEnd | None = None
    blocks: list[AssembledBlock] = field(default_factory=list)
    events: list[OpaqueEvent] = field(default_factory=list)
    errors: list[StreamError] = field(default_factory=list)


def assemble(events: Iterable[Event]) -> Assembled:
    """Group `events` into blocks (see module docstring)."""
    out = Assembled()
    by_index: dict[int, AssembledBlock] = {}
    for event in events:
        if isinstance(event, (TextDelta, ToolArgsDelta)):
            target = by_index.get(event.index)
            if target is not None:
                target.parts.append(
                    event.text if isinstance(event, TextDelta) else event.partial_json
                )
        elif isinstance(event, BlockStart):
            block = AssembledBlock(event.block)
            by_index[event.index] = block
            out.blocks.append(block)
        elif isinstance(event, OpaqueDelta):
            target = by_index.get(event.index)
            if target is not None:
                target.opaque.append(event.raw)
        elif isinstance(event, MessageStart):
            out.start = event
        elif isinstance(event, MessageEnd):
            out.end = event
        elif isinstance(event, OpaqueEvent):
            out.events.append(event)
        elif isinstance(event, StreamError):
            out.errors.append(event)
    return out
