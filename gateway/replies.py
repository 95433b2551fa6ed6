"""Answers the gateway gives itself: a whole assistant reply as neutral events."""

from __future__ import annotations

from policies.engine.blocks import block_events
from wire.neutral import END_TURN, Event, MessageEnd, MessageStart, TextBlock, Usage


def reply_events(transaction_id: str, model: str, text: str) -> list[Event]:
    """A complete one-text-block response saying `text`."""
    return [
        MessageStart(id=f"msg_{transaction_id}", model=model, usage=Usage(0, 0)),
        *block_events(0, TextBlock(text=text)),
        MessageEnd(stop_reason=END_TURN, usage=Usage(0, 0)),
    ]
