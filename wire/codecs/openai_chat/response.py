"""OpenAI Chat Completions non-streaming response body ↔ neutral events.

Only choice 0 is translated: other choices (`n` > 1) are dropped, so no content reaches the client
unseen by the policy. A legacy `message.function_call` becomes a `ToolCallBlock` (extra type
"function_call") so that policies see it too. Where the fields go, so that an untouched body
round-trips exactly:

- `MessageStart.extra`: top-level fields (`created`, `object`, `system_fingerprint`,
  `service_tier`, unknown ones); `usage` lands in `MessageEnd.usage` (streams deliver it last).
- `MessageEnd.extra`: `finish_reason` (the upstream's own value), `choice` (choice fields such as
  `index`, `logprobs`) and `message` (message fields such as `role`, `refusal`, `annotations`,
  `audio`, plus `content` when it was null/empty without tool calls, and `tool_calls` when it was
  null or empty).

`encode_response` also accepts events from a stream (or changed by a policy): text blocks are
joined into `content` (null only when there is no text but there are tool calls, or a refusal),
OpenAI-shaped `OpaqueEvent`s (refusal, reasoning, audio deltas; logprobs) are accumulated into the
message, and the finish reason follows the events (see `finish_from_stop`).
"""

from __future__ import annotations

import time
from typing import Any, Final

from wire.codecs.assembly import Assembled, assemble
from wire.codecs.common import MISSING, fill, rest
from wire.codecs.openai_chat.mapping import (
    FINISH_CHOICE,
    FIRST_CHOICE,
    LEGACY_FUNCTION_CALL,
    finish_from_stop,
    is_legacy_call,
    legacy_call_to_wire,
    stop_reason_from_finish,
    tool_call_from_wire,
    tool_call_to_wire,
    usage_from_openai,
    usage_to_openai,
)
from wire.errors import UpstreamUnavailable
from wire.neutral import (
    BlockStart,
    BlockStop,
    Event,
    MessageEnd,
    MessageStart,
    TextBlock,
    TextDelta,
    ToolArgsDelta,
    ToolCallBlock,
)

_DEFAULT_CHOICE: Final[dict[str, Any]] = {"index": 0, "logprobs": None}
_DEFAULT_MESSAGE: Final[dict[str, Any]] = {"role": "assistant", "refusal": None, "annotations": []}
_TOP_LIFTED: Final = ("id", "model", "choices")
_MESSAGE_LIFTED: Final = ("content", "tool_calls")
_LEGACY_LIFTED: Final = ("content", "tool_calls", "function_call")
_REPLACE_KEYS: Final = frozenset({"id", "type", "index", "role", "expires_at"})


def decode_response(body: Any) -> list[Event]:
    """A complete response body → MessageStart, blocks, MessageEnd."""
    if not isinstance(body, dict):
        raise UpstreamUnavailable("The upstream response is not a JSON object.")
    usage = body.get("usage")
    top = ("id", "model", "choices", "usage") if isinstance(usage, dict) else _TOP_LIFTED
    events: list[Event] = [
        MessageStart(str(body.get("id", "")), str(body.get("model", "")), None, rest(body, top))
    ]
    choices = body.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else None
    if not isinstance(choice, dict):
        events.append(MessageEnd(None, None, usage_from_openai(usage), {"choice": None}))
        return events
    message = choice.get("message")
    message = message if isinstance(message, dict) else {}
    events += _block_events(message)
    finish = choice.get("finish_reason")
    extra = {
        "finish_reason": finish,
        "choice": rest(choice, ("message", "finish_reason")),
        "message": _message_extra(message),
    }
    events.append(
        MessageEnd(stop_reason_from_finish(finish), None, usage_from_openai(usage), extra)
    )
    return events


def _raw_calls(message: dict[str, Any]) -> list[dict[str, Any]]:
    """`tool_calls` entries, plus a legacy `function_call` in tool-call shape."""
    calls = message.get("tool_calls")
    raw = [c for c in calls if isinstance(c, dict)] if isinstance(calls, list) else []
    legacy = message.get("function_call")
    if isinstance(legacy, dict):
        raw.append({"type": LEGACY_FUNCTION_CALL, "function": legacy})
    return raw


def _block_events(message: dict[str, Any]) -> list[Event]:
    events: list[Event] = []
    index = 0
    content = message.get("content")
    if isinstance(content, str) and content:
        events += [BlockStart(index, TextBlock()), TextDelta(index, content), BlockStop(index)]
        index += 1
    for raw_call in _raw_calls(message):
        block = tool_call_from_wire(raw_call)
        arguments, block.arguments = block.arguments, ""
        events.append(BlockStart(index, block))
        if arguments:
            events.append(ToolArgsDelta(index, arguments))
        events.append(BlockStop(index))
        index += 1
    return events


def _message_extra(message: dict[str, Any]) -> dict[str, Any]:
    """The message minus what became blocks, plus the shape facts `encode_response` needs."""
    legacy = isinstance(message.get("function_call"), dict)
    extra = rest(message, _LEGACY_LIFTED if legacy else _MESSAGE_LIFTED)
    content, calls = message.get("content"), message.get("tool_calls", MISSING)
    has_calls = (isinstance(calls, list) and bool(calls)) or legacy
    if not (isinstance(content, str) and content) and not (content is None and has_calls):
        extra["content"] = content
    if calls is not MISSING and not (isinstance(calls, list) and calls):
        extra["tool_calls"] = calls
    return extra


def encode_response(events: list[Event]) -> dict[str, Any]:
    """Events → a complete `chat.completion` body."""
    asm = assemble(events)
    start = asm.start or MessageStart("", "")
    end = asm.end or MessageEnd(None)
    body: dict[str, Any] = {"id": start.id, "object": "chat.completion"}
    if start.extra.get("type") != "message":  # else the extra came from an Anthropic message
        for key, value in start.extra.items():
            if key not in ("object", FIRST_CHOICE):
                body[key] = value
    body.setdefault("created", int(time.time()))
    body["model"] = start.model
    if end.extra.get("choice", MISSING) is None and not asm.blocks:
        body["choices"] = []
    else:
        body["choices"] = [_encode_choice(asm, end)]
    usage = end.usage or start.usage
    if usage is not None:
        body["usage"] = usage_to_openai(usage)
    return body


def _encode_choice(asm: Assembled, end: MessageEnd) -> dict[str, Any]:
    message_extra = end.extra.get("message")
    if not isinstance(message_extra, dict):
        message_extra = _DEFAULT_MESSAGE
    message, has_tools = _encode_message(asm, message_extra)
    choice_extra = end.extra.get("choice")
    choice: dict[str, Any] = {"index": 0, "message": message}
    fill(choice, choice_extra if isinstance(choice_extra, dict) else _DEFAULT_CHOICE)
    finish_choice = end.extra.get(FINISH_CHOICE)  # a stream's finish-choice fields
    if isinstance(finish_choice, dict):
        fill(choice, finish_choice)
    for event in asm.events:  # OpenAI-shaped opaque events of a stream
        if event.name is None:
            delta = event.raw.get("delta")
            if isinstance(delta, dict):
                for key, value in delta.items():
                    message[key] = merge_delta(message.get(key), value, key)
            if event.raw.get("logprobs") is not None:
                choice["logprobs"] = merge_delta(choice.get("logprobs"), event.raw["logprobs"])
    if message["content"] == "" and "content" not in message_extra and message.get("refusal"):
        message["content"] = None  # a refusal without text has null content, as OpenAI sends it
    original = end.extra.get("finish_reason", MISSING)
    choice["finish_reason"] = finish_from_stop(end.stop_reason, original, has_tool_calls=has_tools)
    return choice


def _encode_message(asm: Assembled, message_extra: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The message (before stream-only opaque fields) and whether it has tool calls."""
    texts = [b.text() for b in asm.blocks if isinstance(b.block, TextBlock)]
    calls: list[dict[str, Any]] = []
    legacy: list[dict[str, Any]] = []
    for assembled in asm.blocks:
        block = assembled.block
        if isinstance(block, ToolCallBlock):
            if is_legacy_call(block):
                legacy.append(legacy_call_to_wire(block, assembled.text()))
            else:
                calls.append(tool_call_to_wire(block, assembled.text()))
    content: Any
    if texts:
        content = "".join(texts)
    elif "content" in message_extra:
        content = message_extra["content"]
    else:
        content = None if calls or legacy else ""
    message: dict[str, Any] = {"role": message_extra.get("role", "assistant"), "content": content}
    if calls:
        message["tool_calls"] = calls
    if legacy:
        message["function_call"] = legacy[0]
    return fill(message, message_extra), bool(calls or legacy)


def merge_delta(old: Any, new: Any, key: str = "") -> Any:
    """Accumulate a streamed delta value into a snapshot value (strings concatenate, objects
    merge, lists extend); returns new containers, never mutates its inputs."""
    if isinstance(old, str) and isinstance(new, str) and key not in _REPLACE_KEYS:
        return old + new
    if isinstance(old, dict) and isinstance(new, dict):
        merged = dict(old)
        for k, v in new.items():
            merged[k] = merge_delta(merged[k], v, k) if k in merged else v
        return merged
    if isinstance(old, list) and isinstance(new, list):
        return old + new
    return new
