"""Anthropic Messages ↔ neutral: content blocks, tool definitions, usage and stop reasons.

`extra` of a block or tool is the wire object minus the fields lifted into typed attributes
(e.g. `cache_control`, `citations`, `caller`). A `tool_use` block's `input` object becomes the
compact JSON text `arguments`; encoding parses it back (see `input_from_arguments`).
"""

from __future__ import annotations

from typing import Any, Final

from wire.codecs.common import as_int, compact_json, fill, loads_or_missing, rest
from wire.neutral import (
    END_TURN,
    REFUSAL,
    TOOL_USE,
    Block,
    OpaqueBlock,
    TextBlock,
    ToolCallBlock,
    ToolResultBlock,
    ToolSpec,
    Usage,
)

_TOOL_USE_LIFTED: Final = ("id", "name", "input")
TOOL_USE_TYPES: Final = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})
"""Block types that are tool calls a policy can judge: the client's own tools, tools the
provider runs (`server_tool_use`: code execution, web search, …) and MCP connector tools. The
block's own `type` stays in `ToolCallBlock.extra` and is written back unchanged."""
EVENT_FIELDS: Final = "message_delta"
"""`MessageEnd.extra[EVENT_FIELDS]`: top-level fields of a `message_delta` event other than
`type`, `delta` and `usage` (e.g. `context_management`); a complete body carries them at its top
level."""
_FOREIGN_STOP: Final[dict[str, str]] = {"content_filter": REFUSAL, "function_call": TOOL_USE}


def stop_reason_to_wire(stop_reason: str | None, *, has_tool_calls: bool) -> str:
    """Neutral stop reason → Anthropic `stop_reason` (neutral uses Anthropic's vocabulary).

    None becomes "end_turn"; `tool_use` without any tool call (a policy removed them) becomes
    "end_turn"; OpenAI-only values are mapped; anything else passes through.
    """
    if stop_reason is None or (stop_reason == TOOL_USE and not has_tool_calls):
        return END_TURN
    return _FOREIGN_STOP.get(stop_reason, stop_reason)


def input_from_arguments(arguments: str) -> Any:
    """Tool-call arguments text → the `input` object.

    Empty text gives `{}`. Text that is not JSON, or JSON that is not an object (possible only
    when a policy or a truncated upstream produced it), also gives `{}`: Anthropic requires an
    object, and a half-written call must not reach the client as something it might execute
    differently.
    """
    parsed = loads_or_missing(arguments)
    return parsed if isinstance(parsed, dict) else {}


def usage_from_anthropic(raw: Any, *, input_tokens: int | None = None) -> Usage | None:
    """A `usage` object → `Usage`; `input_tokens` fills in when the object has none."""
    if not isinstance(raw, dict):
        return None
    count = as_int(raw.get("input_tokens"))
    return Usage(
        count if count is not None else input_tokens, as_int(raw.get("output_tokens")), raw
    )


def usage_to_anthropic(usage: Usage) -> dict[str, Any]:
    """`Usage` → a `usage` object; the raw object is reused when it is Anthropic's own."""
    raw = usage.raw
    if raw is not None and ("input_tokens" in raw or "output_tokens" in raw):
        out = raw
        if usage.output_tokens is not None and raw.get("output_tokens") != usage.output_tokens:
            out = {**out, "output_tokens": usage.output_tokens}
        if (
            usage.input_tokens is not None
            and "input_tokens" in raw
            and raw["input_tokens"] != usage.input_tokens
        ):
            out = {**out, "input_tokens": usage.input_tokens}
        return out
    built: dict[str, Any] = {}
    if usage.input_tokens is not None:
        built["input_tokens"] = usage.input_tokens
    built["output_tokens"] = usage.output_tokens or 0
    return built


# --- content blocks ----------------------------------------------------------------------------


def block_from_wire(raw: dict[str, Any]) -> Block:
    """One content block → neutral block (lenient; request validation happens before)."""
    kind = raw.get("type")
    if kind == "text" and isinstance(raw.get("text"), str):
        return TextBlock(raw["text"], rest(raw, ("type", "text")))
    if (
        kind in TOOL_USE_TYPES
        and isinstance(raw.get("id"), str)
        and isinstance(raw.get("name"), str)
        and isinstance(raw.get("input"), dict)
    ):
        extra = rest(raw, ("type", *_TOOL_USE_LIFTED) if kind == "tool_use" else _TOOL_USE_LIFTED)
        return ToolCallBlock(raw["id"], raw["name"], compact_json(raw["input"]), extra)
    if kind == "tool_result" and isinstance(raw.get("tool_use_id"), str):
        content, is_error = raw.get("content"), raw.get("is_error")
        lifted = ["type", "tool_use_id"]
        if content is not None:
            lifted.append("content")
        if isinstance(is_error, bool):
            lifted.append("is_error")
        return ToolResultBlock(
            raw["tool_use_id"],
            content,
            is_error if isinstance(is_error, bool) else None,
            rest(raw, tuple(lifted)),
        )
    return OpaqueBlock(raw)


def block_to_wire(block: Block, text: str | None = None) -> dict[str, Any]:
    """Neutral block → content block; `text` overrides the text / arguments when given."""
    if isinstance(block, TextBlock):
        return fill({"type": "text", "text": block.text if text is None else text}, block.extra)
    if isinstance(block, ToolCallBlock):
        arguments = block.arguments if text is None else text
        out = {"type": block.extra.get("type", "tool_use"), "id": block.id, "name": block.name}
        out["input"] = input_from_arguments(arguments)
        return fill(out, block.extra)
    if isinstance(block, ToolResultBlock):
        result: dict[str, Any] = {"type": "tool_result", "tool_use_id": block.tool_call_id}
        if block.content is not None:
            result["content"] = block.content
        if block.is_error is not None:
            result["is_error"] = block.is_error
        return fill(result, block.extra)
    return block.raw


# --- tool definitions --------------------------------------------------------------------------


def tool_spec_from_wire(raw: dict[str, Any]) -> ToolSpec:
    """One `tools[]` entry → `ToolSpec`: custom tools and server tools alike (server tools have
    no description or schema; their `type` and settings stay in `extra`)."""
    name, description, schema = raw.get("name"), raw.get("description"), raw.get("input_schema")
    lifted = [
        key
        for key, ok in (
            ("name", isinstance(name, str)),
            ("description", isinstance(description, str)),
            ("input_schema", isinstance(schema, dict)),
        )
        if ok
    ]
    return ToolSpec(
        name=name if isinstance(name, str) else "",
        description=description if isinstance(description, str) else None,
        input_schema=schema if isinstance(schema, dict) else None,
        extra=rest(raw, tuple(lifted)),
    )


def tool_spec_to_wire(spec: ToolSpec) -> dict[str, Any]:
    """`ToolSpec` → one `tools[]` entry (an empty name is left out: unnamed server toolsets)."""
    out: dict[str, Any] = {}
    if "type" in spec.extra:
        out["type"] = spec.extra["type"]
    if spec.name:
        out["name"] = spec.name
    if spec.description is not None:
        out["description"] = spec.description
    if spec.input_schema is not None:
        out["input_schema"] = spec.input_schema
    return fill(out, spec.extra)
