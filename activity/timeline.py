"""One transaction as timeline items: what was new in its request, decisions, its reply.

The request is decoded with the client format's codec; only the messages after the last
assistant message are new in this turn (the user's prompt, tool results). The final response
(what the client received) is decoded into events and assembled into text and tool calls.
Bodies that are missing or do not decode give fewer items, never an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from activity.models import Transaction, TransactionBody, TransactionEvent
from wire.codecs import codec_for
from wire.neutral import (
    Block,
    BlockStart,
    Event,
    Message,
    TextBlock,
    TextDelta,
    ToolArgsDelta,
    ToolCallBlock,
    ToolResultBlock,
)

PREVIEW = 4000


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """One line of a session's timeline. `kind`: prompt, tool_result, decision, text,
    tool_call, error."""

    kind: str
    transaction_id: str
    at: datetime
    title: str
    text: str = ""
    action: str = ""


def _clip(text: str) -> str:
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"


def _new_messages(messages: list[Message]) -> list[Message]:
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].role == "assistant":
            return messages[index + 1 :]
    return messages


def _request_items(row: Transaction, body: dict[str, Any]) -> list[TimelineItem]:
    try:
        request = codec_for(row.client_format).decode_request(body)  # type: ignore[arg-type]
    except Exception:
        return []
    items = []
    for message in _new_messages(request.messages):
        if message.role in ("system", "developer"):
            continue
        for block in message.content:
            if isinstance(block, ToolResultBlock):
                title = "tool result" + (" (error)" if block.is_error else "")
                items.append(
                    TimelineItem("tool_result", row.id, row.started_at, title, _clip(block.text()))
                )
            elif isinstance(block, TextBlock) and block.text.strip():
                items.append(
                    TimelineItem("prompt", row.id, row.started_at, message.role, _clip(block.text))
                )
    return items


def assemble_blocks(events: list[Event]) -> list[Block]:
    """The blocks of a decoded response (text and tool calls completed from their deltas)."""
    blocks: dict[int, Block] = {}
    for event in events:
        if isinstance(event, BlockStart):
            blocks[event.index] = event.block
        elif isinstance(event, TextDelta):
            current = blocks.get(event.index)
            if isinstance(current, TextBlock):
                current.text += event.text
        elif isinstance(event, ToolArgsDelta):
            current = blocks.get(event.index)
            if isinstance(current, ToolCallBlock):
                current.arguments += event.partial_json
    return [blocks[i] for i in sorted(blocks)]


def _arguments(call: ToolCallBlock) -> str:
    args = call.parsed_arguments()
    if isinstance(args, str):
        return args
    return json.dumps(args, indent=2, ensure_ascii=False)


def _response_items(row: Transaction, body: dict[str, Any]) -> list[TimelineItem]:
    try:
        events = codec_for(row.client_format).decode_response(body)  # type: ignore[arg-type]
    except Exception:
        return []
    at = row.ended_at or row.started_at
    items = []
    for block in assemble_blocks(events):
        if isinstance(block, ToolCallBlock):
            title = f"tool call: {block.name}"
            items.append(TimelineItem("tool_call", row.id, at, title, _clip(_arguments(block))))
        elif isinstance(block, TextBlock) and block.text.strip():
            items.append(TimelineItem("text", row.id, at, "assistant", _clip(block.text)))
    return items


def _decision_item(row: Transaction, event: TransactionEvent) -> TimelineItem:
    title = f"{event.policy}: {event.action}" if event.policy else event.action
    tool = event.details.get("tool") if isinstance(event.details, dict) else None
    if tool:
        title += f" ({tool})"
    return TimelineItem("decision", row.id, event.at, title, _clip(event.reason), event.action)


def transaction_items(row: Transaction, events: list[TransactionEvent]) -> list[TimelineItem]:
    """The timeline items of one transaction, in order: request, decisions, response."""
    try:
        body: TransactionBody | None = row.body
    except TransactionBody.DoesNotExist:
        body = None
    items: list[TimelineItem] = []
    if body is not None and isinstance(body.request_original, dict):
        items += _request_items(row, body.request_original)
    items += [_decision_item(row, event) for event in events]
    if body is not None and isinstance(body.response_final, dict):
        items += _response_items(row, body.response_final)
    if row.error:
        items.append(
            TimelineItem("error", row.id, row.ended_at or row.started_at, row.status, row.error)
        )
    return items


def reply_tool_calls(client_format: str, body: Any) -> list[ToolCallBlock]:
    """The tool calls of a stored final response ([] when it does not decode)."""
    if not isinstance(body, dict):
        return []
    try:
        events = codec_for(client_format).decode_response(body)  # type: ignore[arg-type]
    except Exception:
        return []
    return [b for b in assemble_blocks(events) if isinstance(b, ToolCallBlock)]
