"""Anthropic Messages on the wire: bodies, SSE events and errors as the real API sends them.

A stream is `event: <type>` + `data: {...}` pairs: message_start (usage with input tokens),
per block content_block_start / deltas / content_block_stop (a `ping` after the first start),
message_delta (stop reason, output tokens), message_stop. Tool input streams as
`input_json_delta` pieces (the first one empty, like the real API); thinking as
`thinking_delta` pieces then one `signature_delta`. A mid-stream error is `event: error`.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterator
from typing import Any

import orjson

from wire.mock.errors import MockRequestError
from wire.mock.prompt import Prompt, prompt_from_anthropic
from wire.mock.scripts import Part, Script, TextPart, ThinkingPart, Usage

FORMAT = "anthropic"
_ALNUM = string.ascii_letters + string.digits
_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    402: ("billing_error", "Your credit balance is too low to access the Anthropic API."),
    403: ("permission_error", "Your API key does not have permission to use this resource."),
    404: ("not_found_error", "Not found."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of request tokens has exceeded your rate limit."),
    500: ("api_error", "Internal server error"),
    504: ("timeout_error", "Request timed out"),
    529: ("overloaded_error", "Overloaded"),
}


def parse_request(payload: dict[str, Any]) -> Prompt:
    """The prompt of a Messages request, refusing a missing `max_tokens` as the real API does
    (the gateway leaves that check to the upstream)."""
    max_tokens = payload.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise MockRequestError("max_tokens: Field required (a positive integer)")
    return prompt_from_anthropic(payload)


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def request_id() -> str:
    """A `request-id` value like the real API's (`req_011C...`)."""
    return f"req_011C{_random(20)}"


def headers(rid: str, *, stream: bool) -> list[tuple[str, str]]:
    """Response headers for a success or error."""
    if stream:
        return [
            ("content-type", "text/event-stream; charset=utf-8"),
            ("cache-control", "no-cache"),
            ("request-id", rid),
        ]
    return [("content-type", "application/json"), ("request-id", rid)]


def _error(status: int, message: str) -> dict[str, str]:
    fallback = 500 if status >= 500 else 400
    kind, default_message = _ERRORS.get(status, _ERRORS[fallback])
    return {"type": kind, "message": message or default_message}


def error_body(status: int, message: str = "", code: str | None = None, rid: str = "") -> bytes:
    """The `{"type": "error", "error": {type, message}, "request_id": ...}` body."""
    body: dict[str, Any] = {"type": "error", "error": _error(status, message)}
    if rid:
        body["request_id"] = rid
    return orjson.dumps(body)


def usage_json(usage: Usage, *, output_tokens: int | None = None) -> dict[str, Any]:
    """The `usage` object of a message (or of message_start, with a small output count)."""
    return {
        "input_tokens": usage.input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": usage.output_tokens if output_tokens is None else output_tokens,
        "service_tier": "standard",
    }


def _message(script: Script, prompt: Prompt, content: list[Any], done: bool) -> dict[str, Any]:
    return {
        "id": f"msg_01{_random(22)}",
        "type": "message",
        "role": "assistant",
        "model": prompt.model,
        "content": content,
        "stop_reason": script.stop_reason if done else None,
        "stop_sequence": None,
        "usage": usage_json(script.usage, output_tokens=None if done else 1),
    }


def _block(part: Part) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, ThinkingPart):
        return {"type": "thinking", "thinking": part.thinking, "signature": part.signature}
    return {
        "type": "tool_use",
        "id": f"toolu_01{_random(22)}",
        "name": part.name,
        "input": part.arguments,
    }


def render_body(script: Script, prompt: Prompt) -> bytes:
    """The non-streaming `message` object."""
    content = [_block(part) for part in script.parts]
    return orjson.dumps(_message(script, prompt, content, done=True))


def _event(name: str, payload: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


def _start_block(part: Part) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "text", "text": ""}
    if isinstance(part, ThinkingPart):
        return {"type": "thinking", "thinking": "", "signature": ""}
    return {**_block(part), "input": {}}


def _block_deltas(part: Part) -> Iterator[dict[str, Any]]:
    if isinstance(part, TextPart):
        yield from ({"type": "text_delta", "text": piece} for piece in part.pieces)
    elif isinstance(part, ThinkingPart):
        yield from ({"type": "thinking_delta", "thinking": piece} for piece in part.pieces)
        yield {"type": "signature_delta", "signature": part.signature}
    else:
        yield {"type": "input_json_delta", "partial_json": ""}
        yield from ({"type": "input_json_delta", "partial_json": piece} for piece in part.pieces)


def stream_events(script: Script, prompt: Prompt) -> list[bytes]:
    """Every SSE event of the streamed reply, one `bytes` per event, terminator last."""
    start = _message(script, prompt, [], done=False)
    events = [_event("message_start", {"type": "message_start", "message": start})]
    for index, part in enumerate(script.parts):
        block = {"type": "content_block_start", "index": index, "content_block": _start_block(part)}
        events.append(_event("content_block_start", block))
        if index == 0:
            events.append(b'event: ping\ndata: {"type": "ping"}\n\n')
        for delta in _block_deltas(part):
            payload = {"type": "content_block_delta", "index": index, "delta": delta}
            events.append(_event("content_block_delta", payload))
        if script.fault is not None and index == len(script.parts) - 1:
            error = {"type": "error", "error": _error(script.fault.status, script.fault.message)}
            return [*events, _event("error", error)]
        events.append(_event("content_block_stop", {"type": "content_block_stop", "index": index}))
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": script.stop_reason, "stop_sequence": None},
        "usage": {"output_tokens": script.usage.output_tokens},
    }
    events.append(_event("message_delta", delta))
    events.append(_event("message_stop", {"type": "message_stop"}))
    return events
