"""OpenAI Responses bodies as readable lines (the diffs' form), for `activity.diffs.text`.

Input and output items are shown like the other formats' messages: a header per message
(`── user ──`), text as written, calls as `[tool call] name (call_id)` with their arguments (a
`custom_tool_call`'s free-text input as it is, a `local_shell_call`'s action as JSON), outputs
as `[tool result for call_id]`, reasoning as `[reasoning]` with its summary (the encrypted
content is not shown). Anything else is pretty-printed JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

_RESULTS = ("function_call_output", "custom_tool_call_output", "local_shell_call_output")


def _pretty(value: Any) -> list[str]:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str).splitlines()


def _arguments(text: Any) -> list[str]:
    if not isinstance(text, str):
        return _pretty(text)
    try:
        return _pretty(json.loads(text)) if text.strip() else ["{}"]
    except ValueError:
        return text.splitlines() or [""]


def _parts(content: Any) -> list[str]:
    if isinstance(content, str):
        return content.splitlines() or [""]
    out: list[str] = []
    for part in content if isinstance(content, list) else []:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("input_text", "output_text", "text") and isinstance(part.get("text"), str):
            out += part["text"].splitlines() or [""]
        elif kind == "refusal":
            out += [f"[refusal] {part.get('refusal', '')}"]
        elif kind in ("input_image", "input_file", "input_audio"):
            out.append(f"[{kind.removeprefix('input_')}]")
        else:
            out += _pretty(part)
    return out


def item_lines(item: Any) -> list[str]:
    """One input or output item as lines."""
    if not isinstance(item, dict):
        return _pretty(item)
    kind = item.get("type", "message")
    if kind == "message":
        return [f"── {item.get('role', '?')} ──", *_parts(item.get("content"))]
    if kind in ("function_call", "custom_tool_call"):
        head = f"[tool call] {item.get('name', '')} ({item.get('call_id', '')})"
        return [head, *_arguments(item.get("arguments", item.get("input")))]
    if kind == "local_shell_call":
        return [
            f"[tool call] local_shell ({item.get('call_id', '')})",
            *_pretty(item.get("action")),
        ]
    if kind in _RESULTS:
        output = item.get("output")
        text = _parts(output) if isinstance(output, list) else str(output).splitlines()
        return [f"[tool result for {item.get('call_id', '')}]", *text]
    if kind == "reasoning":
        summary = item.get("summary")
        texts = (
            [s.get("text", "") for s in summary if isinstance(s, dict)]
            if isinstance(summary, list)
            else []
        )
        return ["[reasoning]", *"\n".join(texts).splitlines()]
    return [f"[{kind}]", *_pretty(item)]


def request_lines(body: dict[str, Any], param_line: Callable[[str, Any], str]) -> list[str]:
    """A Responses request: parameters, instructions, input items, tools."""
    shown = ("model", "input", "instructions", "tools")
    out = [param_line(k, v) for k, v in body.items() if k not in shown]
    if isinstance(body.get("instructions"), str):
        out += ["── instructions ──", *body["instructions"].splitlines()]
    raw = body.get("input")
    items = [{"type": "message", "role": "user", "content": raw}] if isinstance(raw, str) else raw
    for item in items if isinstance(items, list) else []:
        out += item_lines(item)
    if body.get("tools"):
        out += ["── tools offered ──", *_pretty(body["tools"])]
    return out


def response_lines(body: dict[str, Any]) -> list[str]:
    """A Responses response object: output items, status, usage."""
    out: list[str] = []
    for item in body.get("output") or []:
        out += item_lines(item)
    out.append(f"status: {body.get('status')}")
    if body.get("incomplete_details"):
        out.append(f"incomplete_details: {json.dumps(body['incomplete_details'])}")
    if body.get("usage") is not None:
        out.append(f"usage: {json.dumps(body['usage'], ensure_ascii=False)}")
    return out


def is_request(body: dict[str, Any]) -> bool:
    """Whether a request body is a Responses one (it has `input`, no `messages`)."""
    return "input" in body and "messages" not in body


def is_response(body: dict[str, Any]) -> bool:
    """Whether a response body is a Responses object."""
    return body.get("object") == "response" or (
        isinstance(body.get("output"), list) and "choices" not in body
    )
