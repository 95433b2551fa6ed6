"""OpenAI Chat Completions non-streaming response body ↔ neutral events.

Only choice 0 is translated: other choices (`n` > 1) are dropped, so no content reaches the client
unseen by the policy. Where the fields go, so that an untouched body round-trips exactly:

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

from gateway.codecs.assembly import Assembled, assemble
from gateway.codecs.common import MISSING, fill, rest
from gateway.codecs.openai_chat.mapping import (
    finish_from_stop,
    stop_reason_from_finish,
    tool_call_from_wire,
    tool_call_to_wire,
    usage_from_openai,
    usage_to_openai,
)
from gateway.errors import UpstreamUnavailable
from gateway.neutral import (
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
_REPLACE_KEYS: Final = frozenset({"id", "type", "index", "role", "expires_at"})


def decode_response(body: Any) -> list[Event]:
    """A complete response body → MessageStart, blocks, MessageEnd."""
    if not isinstance(body, dict):
        raise UpstreamUnavailable("The upstream response is not a JSON object.")
    usage = body.get("usage")
    lifted = (
        ("id", "model", "choices", "usage")
        if isinstance(usage, dict)
        else ("id", "model", "choices")
    )
    events: list[Event] = [
        MessageStart(str(body.get("id", "")), str(body.get("model", "")), None, rest(body, lifted))
    ]
    choices = body.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else None
    if not isinstance(choice, dict):
        events.append(MessageEnd(None, None, usage_from_openai(usage), {"choice": None}))
        return events
    message = choice.get("message")
    message = message if isinstance(message, dict) else {}
    content, calls = message.get("content"), message.get("tool_calls", MISSING)
    has_calls = isinstance(calls, list) and bool(calls)
    index = 0
    if isinstance(content, str) and content:
        events += [BlockStart(index, TextBlock()), TextDelta(index, content), BlockStop(index)]
        index += 1
    for raw_call in calls if isinstance(calls, list) else ():
        if isinstance(raw_call, dict):
            block = tool_call_from_wire(raw_call)
            arguments, block.arguments = block.arguments, ""
            events.append(BlockStart(index, block))
            if arguments:
                events.append(ToolArgsDelta(index, arguments))
            events.append(BlockStop(index))
            index += 1
    message_extra = rest(message, ("content", "tool_calls"))
    if not (isinstance(content, str) and content) and not (content is None and has_calls):
        message_extra["content"] = content
    if calls is not MISSING and not has_calls:
        message_extra["tool_calls"] = calls
    finish = choice.get("finish_reason")
    extra = {
        "finish_reason": finish,
        "choice": rest(choice, ("message", "finish_reason")),
        "message": message_extra,
    }
    events.append(
        MessageEnd(stop_reason_from_finish(finish), None, usage_from_openai(usage), extra)
    )
    return events


def encode_response(events: list[Event]) -> dict[str, Any]:
    """Events → a complete `chat.completion` body."""
    asm = assemble(events)
    start = asm.start or MessageStart("", "")
    end = asm.end or MessageEnd(None)
    body: dict[str, Any] = {"id": start.id, "object": "chat.completion"}
    if start.extra.get("type") != "message":  # else the extra came from an Anthropic message
        for key, value in start.extra.items():
            if key != "object":
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
    texts = [b.text() for b in asm.blocks if isinstance(b.block, TextBlock)]
    calls = [
        tool_call_to_wire(b.block, b.text())
        for b in asm.blocks
        if isinstance(b.block, ToolCallBlock)
    ]
    message: dict[str, Any] = {"role": message_extra.get("role", "assistant"), "content": None}
    if calls:
        message["tool_calls"] = calls
    fill(message, message_extra)
    choice_extra = end.extra.get("choice")
    choice: dict[str, Any] = {"index": 0, "message": message}
    fill(choice, choice_extra if isinstance(choice_extra, dict) else _DEFAULT_CHOICE)
    for event in asm.events:
        if event.name is None:
            delta = event.raw.get("delta")
            if isinstance(delta, dict):
                for key, value in delta.items():
                    message[key] = merge_delta(message.get(key), value, key)
            if event.raw.get("logprobs") is not None:
                choice["logprobs"] = merge_delta(choice.get("logprobs"), event.raw["logprobs"])
    if texts:
        message["content"] = "".join(texts)
    elif "content" in message_extra:
        message["content"] = message_extra["content"]
    elif not calls and message.get("refusal") is None:
        message["content"] = ""
    original = end.extra.get("finish_reason", MISSING)
    choice["finish_reason"] = finish_from_stop(
        end.stop_reason, original, has_tool_calls=bool(calls)
    )
    return choice


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
