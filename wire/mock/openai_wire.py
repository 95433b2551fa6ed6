"""OpenAI Chat Completions on the wire: bodies, SSE chunks and errors as the real API sends them.

Streams are `data: {chunk}` events ending with `data: [DONE]`; with
`stream_options.include_usage` every chunk carries `"usage": null` and a last chunk with
`"choices": []` carries the usage. A mid-stream error is a `data: {"error": {...}}` event and no
`[DONE]`. Thinking parts are not rendered (their tokens count as `reasoning_tokens`).
"""

from __future__ import annotations

import secrets
import string
import time
from typing import Any

import orjson

from wire.mock.prompt import Prompt, prompt_from_openai
from wire.mock.scripts import Script, TextPart, ToolCallPart, Usage

FORMAT = "openai"
FINGERPRINT = "fp_6c1e5f0b3a"
_ALNUM = string.ascii_letters + string.digits
_FINISH = {"end_turn": "stop", "tool_use": "tool_calls"}
_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: (
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
    ),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Access denied."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    413: ("invalid_request_error", "request_too_large", "Request too large."),
    429: ("tokens", "rate_limit_exceeded", "Rate limit reached. Please try again in 1s."),
    500: (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}

parse_request = prompt_from_openai


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def request_id() -> str:
    """An `x-request-id` value like the real API's."""
    return f"req_{secrets.token_hex(16)}"


def headers(rid: str, *, stream: bool) -> list[tuple[str, str]]:
    """Response headers for a success or error."""
    kind = "text/event-stream; charset=utf-8" if stream else "application/json"
    return [
        ("content-type", kind),
        ("x-request-id", rid),
        ("openai-version", "2020-10-01"),
        ("openai-processing-ms", "1"),
    ]


def error_body(status: int, message: str = "", code: str | None = None, rid: str = "") -> bytes:
    """The `{"error": {message, type, param, code}}` body for a status (`rid` is unused)."""
    return orjson.dumps({"error": _error(status, message, code)})


def _error(status: int, message: str, code: str | None) -> dict[str, Any]:
    fallback = 500 if status >= 500 else 400
    kind, default_code, default_message = _ERRORS.get(status, _ERRORS[fallback])
    return {
        "message": message or default_message,
        "type": kind,
        "param": None,
        "code": code or default_code,
    }


def usage_json(usage: Usage) -> dict[str, Any]:
    """The `usage` object with its details objects."""
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def render_body(script: Script, prompt: Prompt) -> bytes:
    """The non-streaming `chat.completion` object."""
    text = "".join(p.text for p in script.parts if isinstance(p, TextPart))
    calls = [p for p in script.parts if isinstance(p, ToolCallPart)]
    message: dict[str, Any] = {
        "role": "assistant",
        "content": text if text or not calls else None,
        "refusal": None,
        "annotations": [],
    }
    if calls:
        message["tool_calls"] = [
            {
                "id": f"call_{_random(24)}",
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments_json},
            }
            for call in calls
        ]
    body = {
        "id": f"chatcmpl-{_random(29)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": prompt.model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": _FINISH[script.stop_reason],
            }
        ],
        "usage": usage_json(script.usage),
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    }
    return orjson.dumps(body)


def _event(payload: Any) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def stream_events(script: Script, prompt: Prompt) -> list[bytes]:
    """Every SSE event of the streamed reply, one `bytes` per event, terminator last."""
    base: dict[str, Any] = {
        "id": f"chatcmpl-{_random(29)}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": prompt.model,
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        payload = {**base, "choices": [choice]}
        if prompt.include_usage:
            payload["usage"] = None
        return _event(payload)

    deltas = list(_deltas(script))
    first_is_call = bool(deltas) and "tool_calls" in deltas[0]
    role = {"role": "assistant", "content": None if first_is_call else "", "refusal": None}
    if first_is_call:
        deltas[0] = {**role, **deltas[0]}
    else:
        deltas.insert(0, role)
    events = [chunk(delta) for delta in deltas]
    if script.fault is not None:
        error = _error(script.fault.status, script.fault.message, None)
        return [*events, _event({"error": error})]
    events.append(chunk({}, _FINISH[script.stop_reason]))
    if prompt.include_usage:
        events.append(_event({**base, "choices": [], "usage": usage_json(script.usage)}))
    events.append(b"data: [DONE]\n\n")
    return events


def _deltas(script: Script) -> list[dict[str, Any]]:
    deltas: list[dict[str, Any]] = []
    index = 0
    for part in script.parts:
        if isinstance(part, TextPart):
            deltas.extend({"content": piece} for piece in part.pieces)
        elif isinstance(part, ToolCallPart):
            start = {
                "index": index,
                "id": f"call_{_random(24)}",
                "type": "function",
                "function": {"name": part.name, "arguments": ""},
            }
            deltas.append({"tool_calls": [start]})
            deltas.extend(
                {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}
                for piece in part.pieces
            )
            index += 1
    return deltas
