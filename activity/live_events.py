"""Typed live events: what viewers of the live monitor and of `/activity/stream` receive.

Three events, each a small class with a `type` discriminator:

    transaction.started   TransactionStarted   (channel message type `activity.started`)
    transaction.decision  PolicyDecision       (`activity.decision`)
    transaction.finished  TransactionFinished  (`activity.finished`)

The broadcast tap builds them from a `TransactionRecord` (cheap: a few attribute reads, a
preview of at most `PREVIEW_CHARS` characters) and the background sender turns them into
channel-layer messages `{"type": "activity.<event>", "event": {...}}` with `as_message()`.
Consumers and the SSE view forward `message["event"]` unchanged.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

import orjson

from gateway.transaction_record import TransactionRecord
from policies.context import Decision
from wire.neutral import BlockStart, Event, TextDelta, ToolCallBlock

GROUP = "activity"
PREVIEW_CHARS = 200
DETAILS_MAX_BYTES = 4096


@dataclass(slots=True)
class LiveEvent:
    """Base of the live events: `id` of the transaction and `time` (epoch seconds)."""

    id: str
    time: float
    type: ClassVar[str] = ""
    message_type: ClassVar[str] = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, with the `type` discriminator first."""
        data: dict[str, Any] = {"type": self.type}
        for spec in dataclasses.fields(self):
            data[spec.name] = getattr(self, spec.name)
        return data

    def as_message(self) -> dict[str, Any]:
        """The channel-layer message carrying this event."""
        return {"type": self.message_type, "event": self.as_dict()}


@dataclass(slots=True)
class TransactionStarted(LiveEvent):
    """A client call was accepted and is being processed."""

    client_format: str = ""
    model: str = ""
    stream: bool = False
    key: str = ""
    policy: str = ""
    policy_version: int = 0
    policy_overridden: bool = False
    type: ClassVar[str] = "transaction.started"
    message_type: ClassVar[str] = "activity.started"

    @classmethod
    def from_record(cls, record: TransactionRecord) -> TransactionStarted:
        """The event of a record that just started."""
        return cls(
            id=record.id,
            time=record.started_at,
            client_format=record.client_format,
            model=record.model,
            stream=record.stream,
            key=record.api_key_name,
            policy=record.policy_name,
            policy_version=record.policy_version,
            policy_overridden=record.policy_overridden,
        )


@dataclass(slots=True)
class PolicyDecision(LiveEvent):
    """A policy decided something (rewrote, blocked, allowed, judged, error, ...)."""

    policy: str = ""
    action: str = ""
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    type: ClassVar[str] = "transaction.decision"
    message_type: ClassVar[str] = "activity.decision"

    @classmethod
    def from_decision(cls, record: TransactionRecord, decision: Decision) -> PolicyDecision:
        """The event of one decision (details are made JSON-safe later, off the hot path)."""
        return cls(
            id=record.id,
            time=decision.at,
            policy=decision.policy,
            action=decision.action,
            reason=decision.reason,
            details=decision.details,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form; details are made JSON-safe and capped in size."""
        data = LiveEvent.as_dict(self)
        data["details"] = safe_details(self.details)
        return data


@dataclass(slots=True)
class TransactionFinished(LiveEvent):
    """A call ended, with any status. Repeats the summary, so a late viewer can show it."""

    started: float = 0.0
    status: str = ""
    http_status: int = 200
    client_format: str = ""
    model: str = ""
    stream: bool = False
    key: str = ""
    policy: str = ""
    policy_overridden: bool = False
    latency_ms: float | None = None
    overhead_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    decisions: int = 0
    preview: str = ""
    error: str = ""
    type: ClassVar[str] = "transaction.finished"
    message_type: ClassVar[str] = "activity.finished"

    @classmethod
    def from_record(cls, record: TransactionRecord) -> TransactionFinished:
        """The event of a finished record."""
        return cls(
            id=record.id,
            time=record.ended_at or record.started_at,
            started=record.started_at,
            status=record.status,
            http_status=record.http_status,
            client_format=record.client_format,
            model=record.model,
            stream=record.stream,
            key=record.api_key_name,
            policy=record.policy_name,
            policy_overridden=record.policy_overridden,
            latency_ms=record.latency_ms,
            overhead_ms=record.overhead_ms,
            input_tokens=record.input_tokens,
            output_tokens=record.output_tokens,
            decisions=len(record.decisions),
            preview=answer_preview(record),
            error=record.error[:PREVIEW_CHARS],
        )


def answer_preview(record: TransactionRecord, limit: int = PREVIEW_CHARS) -> str:
    """At most `limit` characters of the final answer: from the assembled response if there is
    one, else from the final stream's text deltas (reading no further than needed)."""
    if record.response_final is not None:
        return _clip(_body_text(record.response_final, limit), limit)
    if record.response_events_final:
        return _clip(_events_text(record.response_events_final, limit), limit)
    return ""


def _clip(text: str, limit: int) -> str:
    text = " ".join(text[: 2 * limit].split())  # newlines and runs of spaces as one space
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _events_text(events: list[Event], limit: int) -> str:
    parts: list[str] = []
    size = 0
    for event in events:
        if isinstance(event, TextDelta):
            piece = event.text
        elif isinstance(event, BlockStart) and isinstance(event.block, ToolCallBlock):
            piece = f" [tool call: {event.block.name}] "
        else:
            continue
        parts.append(piece)
        size += len(piece)
        if size > limit:
            break
    return "".join(parts)


def _body_text(body: dict[str, Any], limit: int) -> str:
    """Text of an OpenAI chat completion, an Anthropic message or an OpenAI Responses object
    (tool calls by name)."""
    parts: list[str] = []
    choices = body.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message") or {}
        content = message.get("content")
        parts.append(content if isinstance(content, str) else _blocks_text(content))
        for call in message.get("tool_calls") or []:
            name = (call.get("function") or {}).get("name", "") if isinstance(call, dict) else ""
            parts.append(f" [tool call: {name}] ")
    elif isinstance(body.get("content"), list):
        parts.append(_blocks_text(body["content"]))
    elif isinstance(body.get("output"), list):  # an OpenAI Responses object
        for item in body["output"]:
            if not isinstance(item, dict):
                continue
            if item.get("type") == "message":
                parts.append(_blocks_text(item.get("content")))
            elif item.get("type") in ("function_call", "custom_tool_call", "local_shell_call"):
                parts.append(f" [tool call: {item.get('name', 'local_shell')}] ")
    return "".join(parts)


def _blocks_text(blocks: Any) -> str:
    if not isinstance(blocks, list):
        return ""
    parts = []
    for block in blocks:
        if not isinstance(block, dict):
            continue
        if isinstance(block.get("text"), str):
            parts.append(block["text"])
        elif block.get("type") == "tool_use":
            parts.append(f" [tool call: {block.get('name', '')}] ")
    return "".join(parts)


def safe_details(details: Any) -> dict[str, Any]:
    """Decision details as JSON-safe data (unknown objects as strings), at most
    `DETAILS_MAX_BYTES` when encoded; larger details are replaced by a truncated text."""
    try:
        encoded = orjson.dumps(details, default=str, option=orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return {"unserializable": repr(details)[:200]}
    if len(encoded) > DETAILS_MAX_BYTES:
        return {"truncated": encoded[:DETAILS_MAX_BYTES].decode("utf-8", "replace")}
    data = orjson.loads(encoded)
    return data if isinstance(data, dict) else {"value": data}
