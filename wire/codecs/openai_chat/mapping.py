"""OpenAI Chat Completions ↔ neutral: finish reasons, usage, tool calls and tool definitions.

Shared by the request, response and stream modules. `extra` of a tool call or tool definition is
the wire object minus the fields lifted into typed attributes; the rest of the nested `function`
(or `custom`) object is kept under `extra["function"]` (`extra["custom"]`) when it is not empty.
"""

from __future__ import annotations

from typing import Any, Final

from wire.codecs.common import MISSING, as_int, fill, rest
from wire.neutral import (
    END_TURN,
    MAX_TOKENS,
    REFUSAL,
    STOP_SEQUENCE,
    TOOL_USE,
    ToolCallBlock,
    ToolSpec,
    Usage,
)

LEGACY_FUNCTION_CALL: Final = "function_call"
"""`ToolCallBlock.extra["type"]` of a legacy `message.function_call` (no id, no tool_calls)."""

FIRST_CHOICE: Final = "first_choice"
"""`MessageStart.extra` key of a stream: choice 0 of the first chunk, its `delta` reduced to the
shape (role, null content…) and without `index`/`logprobs`/`finish_reason`; its other fields
(e.g. a router's `native_finish_reason: null`) are repeated on every chunk."""

FINISH_CHOICE: Final = "finish_choice"
"""`MessageEnd.extra` key of a stream: the finish chunk's other choice fields
(`native_finish_reason`, …), sent back on the finish chunk."""

_TO_NEUTRAL: Final[dict[str, str]] = {
    "stop": END_TURN,
    "length": MAX_TOKENS,
    "tool_calls": TOOL_USE,
    "function_call": TOOL_USE,
}
_TO_OPENAI: Final[dict[str, str]] = {
    END_TURN: "stop",
    STOP_SEQUENCE: "stop",
    MAX_TOKENS: "length",
    TOOL_USE: "tool_calls",
    REFUSAL: "content_filter",
    "pause_turn": "stop",
    "model_context_window_exceeded": "length",
}
_FUNCTION_KINDS: Final = ("function", "custom", LEGACY_FUNCTION_CALL)


def stop_reason_from_finish(finish_reason: Any) -> str | None:
    """OpenAI `finish_reason` → neutral stop reason (unknown values pass through)."""
    if not isinstance(finish_reason, str):
        return None
    return _TO_NEUTRAL.get(finish_reason, finish_reason)


def finish_from_stop(stop_reason: str | None, original: Any, *, has_tool_calls: bool) -> str:
    """Neutral stop reason → OpenAI `finish_reason`.

    `original` is the upstream's own value when known (`MISSING` otherwise): it is kept while it
    still means the same thing (e.g. "function_call"). A `tool_use` stop without tool calls (a
    policy removed them) becomes "stop"; no stop reason at all becomes "stop".
    """
    if stop_reason == TOOL_USE and not has_tool_calls:
        return "stop"
    if original is not MISSING and stop_reason_from_finish(original) == stop_reason:
        return str(original) if original is not None else "stop"
    if stop_reason is None:
        return "stop"
    return _TO_OPENAI.get(stop_reason, stop_reason)


def usage_from_openai(raw: Any) -> Usage | None:
    """The `usage` object → `Usage` (None when it is not an object)."""
    if not isinstance(raw, dict):
        return None
    return Usage(as_int(raw.get("prompt_tokens")), as_int(raw.get("completion_tokens")), raw)


def usage_to_openai(usage: Usage) -> dict[str, Any]:
    """`Usage` → the `usage` object; the raw object is reused when it is OpenAI's own."""
    raw = usage.raw
    if raw is not None and ("prompt_tokens" in raw or "completion_tokens" in raw):
        prompt, completion = raw.get("prompt_tokens"), raw.get("completion_tokens")
        changed = False
        out = raw
        if usage.input_tokens is not None and prompt != usage.input_tokens:
            out, changed = {**out, "prompt_tokens": usage.input_tokens}, True
        if usage.output_tokens is not None and completion != usage.output_tokens:
            out, changed = {**out, "completion_tokens": usage.output_tokens}, True
        if changed and "total_tokens" in out:
            out["total_tokens"] = (as_int(out.get("prompt_tokens")) or 0) + (
                as_int(out.get("completion_tokens")) or 0
            )
        return out
    prompt_tokens, completion_tokens = usage.input_tokens or 0, usage.output_tokens or 0
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


# --- tool calls --------------------------------------------------------------------------------


def _kind_keys(kind: str) -> tuple[str, str]:
    """The nested object's key and the arguments key for a tool-call type."""
    return ("custom", "input") if kind == "custom" else ("function", "arguments")


def tool_call_from_wire(raw: dict[str, Any]) -> ToolCallBlock:
    """One `tool_calls[]` entry → `ToolCallBlock` (lenient: absent parts become "")."""
    call_id = raw.get("id")
    call_id = call_id if isinstance(call_id, str) else ""
    kind = raw.get("type", "function")
    if kind not in _FUNCTION_KINDS:
        # An unknown kind of tool call: kept whole; `name` shows the kind to policies.
        return ToolCallBlock(call_id, str(kind), "", rest(raw, ("id",)))
    container_key, args_key = _kind_keys(kind)
    inner = raw.get(container_key)
    inner = inner if isinstance(inner, dict) else {}
    name, arguments = inner.get("name"), inner.get(args_key)
    extra = rest(raw, ("id", container_key))
    inner_rest = rest(inner, ("name", args_key))
    if inner_rest:
        extra[container_key] = inner_rest
    return ToolCallBlock(
        call_id,
        name if isinstance(name, str) else "",
        arguments if isinstance(arguments, str) else "",
        extra,
    )


def is_legacy_call(block: ToolCallBlock) -> bool:
    """Whether the block is a legacy `function_call` rather than a `tool_calls[]` entry."""
    return block.extra.get("type") == LEGACY_FUNCTION_CALL


def legacy_call_to_wire(block: ToolCallBlock, arguments: str) -> dict[str, Any]:
    """A legacy-function-call block → the `function_call` object."""
    out: dict[str, Any] = {"name": block.name, "arguments": arguments}
    inner_rest = block.extra.get("function")
    return fill(out, inner_rest) if isinstance(inner_rest, dict) else out


def tool_call_to_wire(block: ToolCallBlock, arguments: str) -> dict[str, Any]:
    """`ToolCallBlock` (with its full `arguments` text) → one `tool_calls[]` entry."""
    extra = block.extra
    kind = extra.get("type", "function")
    if kind not in _FUNCTION_KINDS:
        return fill({"id": block.id}, extra)
    container_key, args_key = _kind_keys(kind)
    inner: dict[str, Any] = {"name": block.name, args_key: arguments}
    inner_rest = extra.get(container_key)
    if isinstance(inner_rest, dict):
        fill(inner, inner_rest)
    return fill({"id": block.id, "type": kind, container_key: inner}, extra)


# --- tool definitions --------------------------------------------------------------------------


def tool_spec_from_wire(raw: dict[str, Any]) -> ToolSpec:
    """One `tools[]` entry → `ToolSpec`; tools other than function/custom are kept whole."""
    kind = raw.get("type", "function")
    inner = raw.get(kind) if isinstance(kind, str) else None
    if kind not in _FUNCTION_KINDS or not isinstance(inner, dict):
        return ToolSpec(name=str(kind), extra=dict(raw))
    name, description = inner.get("name"), inner.get("description")
    schema = inner.get("parameters")
    lifted = ["name"]
    if isinstance(description, str):
        lifted.append("description")
    if isinstance(schema, dict):
        lifted.append("parameters")
    extra = rest(raw, (kind,))
    inner_rest = rest(inner, tuple(lifted))
    if inner_rest:
        extra[kind] = inner_rest
    return ToolSpec(
        name=name if isinstance(name, str) else "",
        description=description if isinstance(description, str) else None,
        input_schema=schema if isinstance(schema, dict) else None,
        extra=extra,
    )


def tool_spec_to_wire(spec: ToolSpec) -> dict[str, Any]:
    """`ToolSpec` → one `tools[]` entry."""
    extra = spec.extra
    kind = extra.get("type", "function")
    if kind not in _FUNCTION_KINDS:
        return dict(extra)
    inner: dict[str, Any] = {"name": spec.name}
    if spec.description is not None:
        inner["description"] = spec.description
    if spec.input_schema is not None:
        inner["parameters"] = spec.input_schema
    inner_rest = extra.get(kind)
    if isinstance(inner_rest, dict):
        fill(inner, inner_rest)
    return fill({"type": kind, kind: inner}, extra)
