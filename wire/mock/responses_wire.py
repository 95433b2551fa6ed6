"""OpenAI Responses on the wire: response objects, SSE events and errors as the real API sends
them.

A stream is `event: <type>` + `data: {"type", "sequence_number", …}` events: `response.created`,
`response.in_progress`, then per output item `response.output_item.added`, its own events
(`content_part.added`, `output_text.delta`… for a message; `function_call_arguments.delta`… for
a call; `reasoning_summary_part.added`, `reasoning_summary_text.delta`… for reasoning), its
`.done` events and `response.output_item.done`; last `response.completed` with the whole
response. A mid-stream fault is an `error` event and no `response.completed`. Thinking parts
become a `reasoning` item with a summary (and `encrypted_content` when the request's `include`
asks for `reasoning.encrypted_content`).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import orjson

from wire.mock import openai_wire
from wire.mock.prompt import Prompt, prompt_from_responses
from wire.mock.scripts import Script, TextPart, ThinkingPart, ToolCallPart, Usage

FORMAT = "responses"
parse_request = prompt_from_responses
request_id = openai_wire.request_id
headers = openai_wire.headers
error_body = openai_wire.error_body


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(24)}"


def usage_json(usage: Usage) -> dict[str, Any]:
    """The Responses `usage` object."""
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }


def _response(prompt: Prompt, status: str, output: list[Any], usage: Any) -> dict[str, Any]:
    return {
        "id": "",
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "model": prompt.model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": False,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "user": None,
        "metadata": {},
    }


def _items(script: Script, prompt: Prompt) -> list[dict[str, Any]]:
    """The finished output items of a script."""
    items: list[dict[str, Any]] = []
    for part in script.parts:
        if isinstance(part, ThinkingPart):
            item: dict[str, Any] = {
                "id": _id("rs"),
                "type": "reasoning",
                "summary": [{"type": "summary_text", "text": part.thinking}],
            }
            if prompt.include_reasoning:
                item["encrypted_content"] = part.signature
            items.append(item)
        elif isinstance(part, TextPart):
            text = {"type": "output_text", "annotations": [], "logprobs": [], "text": part.text}
            items.append(
                {
                    "id": _id("msg"),
                    "type": "message",
                    "status": "completed",
                    "content": [text],
                    "role": "assistant",
                }
            )
        elif isinstance(part, ToolCallPart):
            items.append(
                {
                    "id": _id("fc"),
                    "type": "function_call",
                    "status": "completed",
                    "arguments": part.arguments_json,
                    "call_id": f"call_{secrets.token_hex(12)}",
                    "name": part.name,
                }
            )
    return items


def render_body(script: Script, prompt: Prompt) -> bytes:
    """The non-streaming response object."""
    body = _response(prompt, "completed", _items(script, prompt), usage_json(script.usage))
    body["id"] = _id("resp")
    return orjson.dumps(body)


class _Events:
    """Numbered SSE events."""

    def __init__(self) -> None:
        self.events: list[bytes] = []

    def add(self, kind: str, **fields: Any) -> None:
        payload = {"type": kind, "sequence_number": len(self.events), **fields}
        self.events.append(
            b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"
        )


def stream_events(script: Script, prompt: Prompt) -> list[bytes]:
    """Every SSE event of the streamed reply, one `bytes` per event, terminal event last."""
    out = _Events()
    start = _response(prompt, "in_progress", [], None)
    start["id"] = rid = _id("resp")
    out.add("response.created", response=start)
    out.add("response.in_progress", response=start)
    items = _items(script, prompt)
    for index, (part, item) in enumerate(zip(script.parts, items, strict=True)):
        _item_events(out, index, part, item)
    if script.fault is not None:
        error = openai_wire.error_body(script.fault.status, script.fault.message)
        inner = orjson.loads(error)["error"]
        out.add("error", code=inner["code"] or inner["type"], message=inner["message"], param=None)
        return out.events
    final = _response(prompt, "completed", items, usage_json(script.usage))
    final["id"] = rid
    final["created_at"] = start["created_at"]
    out.add("response.completed", response=final)
    return out.events


def _item_events(out: _Events, index: int, part: Any, item: dict[str, Any]) -> None:
    where = {"item_id": item["id"], "output_index": index}
    if isinstance(part, TextPart):
        added = {**item, "status": "in_progress", "content": []}
        out.add("response.output_item.added", output_index=index, item=added)
        empty = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
        out.add("response.content_part.added", **where, content_index=0, part=empty)
        for piece in part.pieces:
            out.add(
                "response.output_text.delta", **where, content_index=0, delta=piece, logprobs=[]
            )
        out.add("response.output_text.done", **where, content_index=0, text=part.text, logprobs=[])
        out.add("response.content_part.done", **where, content_index=0, part=item["content"][0])
    elif isinstance(part, ToolCallPart):
        added = {**item, "status": "in_progress", "arguments": ""}
        out.add("response.output_item.added", output_index=index, item=added)
        for piece in part.pieces:
            out.add("response.function_call_arguments.delta", **where, delta=piece)
        out.add("response.function_call_arguments.done", **where, arguments=part.arguments_json)
    elif isinstance(part, ThinkingPart):
        added = {**item, "summary": []}
        added.pop("encrypted_content", None)
        out.add("response.output_item.added", output_index=index, item=added)
        summary = {"type": "summary_text", "text": ""}
        out.add("response.reasoning_summary_part.added", **where, summary_index=0, part=summary)
        for piece in part.pieces:
            out.add("response.reasoning_summary_text.delta", **where, summary_index=0, delta=piece)
        out.add(
            "response.reasoning_summary_text.done", **where, summary_index=0, text=part.thinking
        )
        done_part = {"type": "summary_text", "text": part.thinking}
        out.add("response.reasoning_summary_part.done", **where, summary_index=0, part=done_part)
    out.add("response.output_item.done", output_index=index, item=item)
