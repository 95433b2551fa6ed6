"""Parse SSE bodies in tests (independent of the gateway's codecs)."""

from __future__ import annotations

import json
from typing import Any


def sse_events(body: bytes) -> list[tuple[str | None, str]]:
    """(event name, data) pairs of a complete SSE body."""
    events = []
    for frame in body.decode().split("\n\n"):
        if not frame.strip():
            continue
        name, data = None, []
        for line in frame.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if name is None and not data:
            continue  # only comments (`: keep-alive`): SSE dispatches nothing
        events.append((name, "\n".join(data)))
    return events


def openai_stream_text(body: bytes) -> tuple[str, list[dict[str, Any]], str | None]:
    """Assembled text, tool calls and finish reason of an OpenAI SSE body."""
    text, calls, finish = "", {}, None
    for _, data in sse_events(body):
        if data == "[DONE]":
            continue
        chunk = json.loads(data)
        for choice in chunk.get("choices", []):
            delta = choice.get("delta", {})
            text += delta.get("content") or ""
            for call in delta.get("tool_calls") or []:
                entry = calls.setdefault(call["index"], {"name": "", "arguments": ""})
                function = call.get("function", {})
                entry["name"] += function.get("name") or ""
                entry["arguments"] += function.get("arguments") or ""
            finish = choice.get("finish_reason") or finish
    return text, [calls[i] for i in sorted(calls)], finish


def anthropic_stream_text(body: bytes) -> tuple[str, list[dict[str, Any]], str | None]:
    """Assembled text, tool calls and stop reason of an Anthropic SSE body."""
    text, calls, stop = "", [], None
    for name, data in sse_events(body):
        payload = json.loads(data)
        if name == "content_block_start" and payload["content_block"]["type"] == "tool_use":
            calls.append({"name": payload["content_block"]["name"], "arguments": ""})
        elif name == "content_block_delta":
            delta = payload["delta"]
            if delta["type"] == "text_delta":
                text += delta["text"]
            elif delta["type"] == "input_json_delta":
                calls[-1]["arguments"] += delta["partial_json"]
        elif name == "message_delta":
            stop = payload["delta"].get("stop_reason")
    return text, calls, stop
