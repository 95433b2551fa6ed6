"""Bodies as readable text lines, the form the diffs compare.

Requests and responses of the three wire formats (OpenAI chat completions, Anthropic messages,
OpenAI Responses — the last in `activity.diffs.responses_text`) are
rendered as a conversation: a header per message (`── user ──`), text as written, tool calls
as `[tool call] name (id)` followed by their arguments as pretty-printed JSON, tool results,
and placeholders for images, documents and thinking. Anything unrecognised is shown as
pretty-printed JSON, so nothing is hidden. The output is plain text: escaping is the template's
job.
"""

from __future__ import annotations

import json
from typing import Any

from activity.diffs import responses_text

_REQUEST_SHOWN = ("model", "messages", "system", "tools")
_PLACEHOLDERS = {
    "image": "[image]",
    "image_url": "[image]",
    "input_audio": "[audio]",
    "document": "[document]",
    "file": "[file]",
    "redacted_thinking": "[redacted thinking]",
}


def pretty(value: Any) -> str:
    """JSON indented by two spaces, non-ASCII kept, key order kept."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _json_text(text: str) -> str:
    """Tool arguments as pretty JSON when they parse, else as they are."""
    try:
        return pretty(json.loads(text)) if text.strip() else "{}"
    except ValueError:
        return text


def request_lines(body: Any) -> list[str]:
    """A request body (either format) as lines: parameters, system, messages, tools.

    The model name is left out: the gateway always rewrites it for the upstream (the summary
    shows both), and that is routing, not a policy's doing."""
    if not isinstance(body, dict):
        return _fallback(body)
    if responses_text.is_request(body):
        return responses_text.request_lines(
            body, lambda k, v: f"{k}: {json.dumps(v, ensure_ascii=False, default=str)}"
        )
    out: list[str] = []
    for name, value in body.items():
        if name not in _REQUEST_SHOWN:
            out.append(f"{name}: {json.dumps(value, ensure_ascii=False, default=str)}")
    system = body.get("system")
    if system:
        out += ["── system ──", *_content(system)]
    messages = body.get("messages")
    for message in messages if isinstance(messages, list) else []:
        out += _message(message)
    if body.get("tools"):
        out += ["── tools offered ──", *pretty(body["tools"]).splitlines()]
    return out


def response_lines(body: Any) -> list[str]:
    """A response body (either format, streams already assembled) as lines."""
    if not isinstance(body, dict):
        return _fallback(body)
    if isinstance(body.get("choices"), list):
        return _openai_response(body)
    if responses_text.is_response(body):
        return responses_text.response_lines(body)
    if isinstance(body.get("content"), list):
        out = [f"── {body.get('role') or 'assistant'} ──", *_content(body["content"])]
        out.append(f"stop_reason: {body.get('stop_reason')}")
        if body.get("usage") is not None:
            out.append(f"usage: {json.dumps(body['usage'], ensure_ascii=False)}")
        return out
    return pretty(body).splitlines()


def _openai_response(body: dict[str, Any]) -> list[str]:
    out: list[str] = []
    choices = body["choices"]
    for choice in choices:
        if not isinstance(choice, dict):
            out += pretty(choice).splitlines()
            continue
        if len(choices) > 1:
            out.append(f"── choice {choice.get('index')} ──")
        out += _message(choice.get("message") or {})
        out.append(f"finish_reason: {choice.get('finish_reason')}")
    if body.get("usage") is not None:
        out.append(f"usage: {json.dumps(body['usage'], ensure_ascii=False)}")
    return out


def _message(message: Any) -> list[str]:
    """One message of either format: header, content, OpenAI tool calls."""
    if not isinstance(message, dict):
        return pretty(message).splitlines()
    role = str(message.get("role") or "?")
    header = (
        f"── {role} ({message['tool_call_id']}) ──"
        if message.get("tool_call_id")
        else (f"── {role} ──")
    )
    out = [header, *_content(message.get("content"))]
    for call in message.get("tool_calls") or []:
        out += _openai_tool_call(call)
    extra = {
        k: v
        for k, v in message.items()
        if k not in ("role", "content", "tool_calls", "tool_call_id")
    }
    for name, value in extra.items():
        out.append(f"{name}: {json.dumps(value, ensure_ascii=False, default=str)}")
    return out


def _openai_tool_call(call: Any) -> list[str]:
    if not isinstance(call, dict):
        return pretty(call).splitlines()
    function = call.get("function") or {}
    arguments = function.get("arguments")
    text = _json_text(arguments) if isinstance(arguments, str) else pretty(arguments)
    return [f"[tool call] {function.get('name', '')} ({call.get('id', '')})", *text.splitlines()]


def _content(content: Any) -> list[str]:
    """Message content: a string, or a list of blocks/parts of either format."""
    if content is None:
        return []
    if isinstance(content, str):
        return content.splitlines() or [""]
    if not isinstance(content, list):
        return pretty(content).splitlines()
    out: list[str] = []
    for block in content:
        out += _block(block)
    return out


def _block(block: Any) -> list[str]:
    if not isinstance(block, dict):
        return _content(block) if isinstance(block, str) else pretty(block).splitlines()
    kind = block.get("type")
    if kind == "text" and isinstance(block.get("text"), str):
        return block["text"].splitlines() or [""]
    if kind == "tool_use":
        head = f"[tool call] {block.get('name', '')} ({block.get('id', '')})"
        return [head, *pretty(block.get("input", {})).splitlines()]
    if kind == "tool_result":
        flag = " (error)" if block.get("is_error") else ""
        return [
            f"[tool result for {block.get('tool_use_id', '')}]{flag}",
            *_content(block.get("content")),
        ]
    if kind == "thinking":
        return ["[thinking]", *str(block.get("thinking", "")).splitlines()]
    if kind in _PLACEHOLDERS:
        return [_PLACEHOLDERS[str(kind)]]
    return [f"[{kind}]", *pretty(block).splitlines()]


def _fallback(body: Any) -> list[str]:
    return [] if body is None else pretty(body).splitlines()
