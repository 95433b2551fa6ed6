"""OpenAI Responses ↔ neutral: statuses and stop reasons, usage, call items, tool definitions.

Shared by the request, response and stream modules. A call item (`function_call`,
`custom_tool_call`, `local_shell_call`) becomes a `ToolCallBlock` whose `id` is the item's
`call_id` and whose `extra` is the item minus the lifted fields (so it keeps `type`, the item
`id`, `status`, …). What a policy judges as the call's arguments:

    function_call       `arguments` (JSON text, e.g. Codex's `exec_command {"cmd": …}`)
    custom_tool_call    `input` (free text, e.g. Codex's `apply_patch` patch)
    local_shell_call    the `action` object as JSON text (`{"type":"exec","command":[…],…}`),
                        named `local_shell`
"""

from __future__ import annotations

import secrets
from typing import Any, Final

import orjson

from wire.codecs.common import as_int, compact_json, fill, rest
from wire.neutral import (
    END_TURN,
    FAILED,
    MAX_TOKENS,
    REFUSAL,
    STOP_SEQUENCE,
    TOOL_USE,
    ToolCallBlock,
    ToolSpec,
    Usage,
)

FUNCTION_CALL: Final = "function_call"
CUSTOM_CALL: Final = "custom_tool_call"
LOCAL_SHELL_CALL: Final = "local_shell_call"
LOCAL_SHELL_NAME: Final = "local_shell"
CALL_TYPES: Final = frozenset({FUNCTION_CALL, CUSTOM_CALL, LOCAL_SHELL_CALL})
RESULT_TYPES: Final = frozenset(
    {"function_call_output", "custom_tool_call_output", "local_shell_call_output"}
)
PART_TYPES: Final = frozenset({"refusal"})
"""Content parts of a message, other than `output_text`, carried as opaque blocks."""
ITEM_OF_PART: Final = "_luthien_item"
"""Key of an opaque content part's raw JSON holding its message item (never sent)."""

RESPONSE: Final = "response"
"""`MessageStart.extra` / `MessageEnd.extra` key: the response object (without `output`) as the
upstream sent it at the start (`response.created`) and at the end (the terminal event or the
complete body)."""
END_EVENT: Final = "end_event"
"""`MessageEnd.extra` key: the terminal event's type (`response.completed`, …)."""
ITEM: Final = "item"
PART: Final = "part"
"""`TextBlock.extra` keys: its message item (without `content`) and its content part (without
`text`)."""

_INCOMPLETE_TO_STOP: Final[dict[str, str]] = {
    "max_output_tokens": MAX_TOKENS,
    "content_filter": REFUSAL,
}
_COMPLETED_STOPS: Final = frozenset({END_TURN, TOOL_USE, STOP_SEQUENCE, "pause_turn"})
_STOP_TO_INCOMPLETE: Final[dict[str, str]] = {
    MAX_TOKENS: "max_output_tokens",
    "model_context_window_exceeded": "max_output_tokens",
    REFUSAL: "content_filter",
}
_OWN_STATUSES: Final = frozenset({FAILED, "cancelled", "in_progress", "queued"})
TERMINAL_EVENTS: Final[dict[str, str]] = {
    "completed": "response.completed",
    "incomplete": "response.incomplete",
    "failed": "response.failed",
}


def new_id(prefix: str) -> str:
    """An id in OpenAI's style (`msg_…`, `fc_…`, `resp_…`)."""
    return f"{prefix}_{secrets.token_hex(24)}"


# --- status ↔ stop reason ---------------------------------------------------------------------


def stop_reason_of(response: dict[str, Any], has_calls: bool) -> str | None:
    """The neutral stop reason of a response object's `status` / `incomplete_details`."""
    status = response.get("status")
    if status == "completed":
        return TOOL_USE if has_calls else END_TURN
    if status == "incomplete":
        details = response.get("incomplete_details")
        reason = details.get("reason") if isinstance(details, dict) else None
        return _INCOMPLETE_TO_STOP.get(reason, reason) if isinstance(reason, str) else MAX_TOKENS
    return status if isinstance(status, str) else None


def status_of(
    stop_reason: str | None, original: dict[str, Any] | None, has_calls: bool
) -> tuple[str, Any]:
    """`(status, incomplete_details)` for a neutral stop reason; the upstream's own values are
    kept while they still mean the same (a policy that removed every call changes nothing but
    the stop reason, and `completed` stays `completed`)."""
    if original is not None and stop_reason_of(original, has_calls) == stop_reason:
        status = original.get("status")
        if isinstance(status, str):
            return status, original.get("incomplete_details")
    if stop_reason is None or stop_reason in _COMPLETED_STOPS:
        return "completed", None
    if stop_reason in _STOP_TO_INCOMPLETE:
        return "incomplete", {"reason": _STOP_TO_INCOMPLETE[stop_reason]}
    if stop_reason in _OWN_STATUSES:
        return stop_reason, None
    return "completed", None


# --- usage -------------------------------------------------------------------------------------


def usage_from_wire(raw: Any) -> Usage | None:
    """The `usage` object → `Usage` (None when it is not an object)."""
    if not isinstance(raw, dict):
        return None
    return Usage(as_int(raw.get("input_tokens")), as_int(raw.get("output_tokens")), raw)


def usage_to_wire(usage: Usage) -> dict[str, Any]:
    """`Usage` → the Responses `usage` object; the raw object is reused when it is one."""
    raw = usage.raw
    if raw is not None and "total_tokens" in raw and "input_tokens" in raw:
        out = dict(raw)
        if usage.input_tokens is not None:
            out["input_tokens"] = usage.input_tokens
        if usage.output_tokens is not None:
            out["output_tokens"] = usage.output_tokens
        out["total_tokens"] = (as_int(out.get("input_tokens")) or 0) + (
            as_int(out.get("output_tokens")) or 0
        )
        return out if out != raw else raw
    given, produced = usage.input_tokens or 0, usage.output_tokens or 0
    return {
        "input_tokens": given,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": produced,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": given + produced,
    }


# --- call items --------------------------------------------------------------------------------


def _args_key(kind: str) -> str:
    return "input" if kind == CUSTOM_CALL else "arguments"


def call_from_item(item: dict[str, Any]) -> ToolCallBlock:
    """A call item → `ToolCallBlock` (lenient: absent parts become "")."""
    kind = str(item.get("type"))
    call_id = item.get("call_id")
    call_id = call_id if isinstance(call_id, str) else ""
    if kind == LOCAL_SHELL_CALL:
        action = item.get("action")
        text = compact_json(action) if action is not None else ""
        extra = rest(item, ("call_id", "action"))
        return ToolCallBlock(call_id, LOCAL_SHELL_NAME, text, extra)
    key = _args_key(kind)
    name, value = item.get("name"), item.get(key)
    return ToolCallBlock(
        call_id,
        name if isinstance(name, str) else "",
        value if isinstance(value, str) else "",
        rest(item, ("call_id", "name", key)),
    )


def call_kind(block: ToolCallBlock) -> str:
    """The item type a call goes out as (a call from elsewhere becomes a `function_call`)."""
    kind = block.extra.get("type")
    return kind if kind in CALL_TYPES else FUNCTION_CALL


def call_to_item(
    block: ToolCallBlock, arguments: str, *, status: str | None, output: bool = True
) -> dict[str, Any]:
    """`ToolCallBlock` (with its full `arguments`) → the call item; `status` replaces the
    item's status when given. An `output` item always has an id (a new one if need be)."""
    kind = call_kind(block)
    extra = block.extra if block.extra.get("type") in CALL_TYPES else {}
    out: dict[str, Any] = {"type": kind}
    if output or "id" in extra:
        out["id"] = extra.get("id") or new_id(_ID_PREFIX[kind])
    if status is not None:
        out["status"] = status
    out["call_id"] = block.id
    if kind == LOCAL_SHELL_CALL:
        try:
            out["action"] = orjson.loads(arguments) if arguments.strip() else {}
        except orjson.JSONDecodeError:
            out["action"] = {"type": "exec", "command": [arguments]}
    else:
        out["name"] = block.name
        out[_args_key(kind)] = arguments
    return fill(out, extra)


_ID_PREFIX: Final[dict[str, str]] = {
    FUNCTION_CALL: "fc",
    CUSTOM_CALL: "ctc",
    LOCAL_SHELL_CALL: "lsh",
}


# --- tool definitions --------------------------------------------------------------------------

_SPEC_KINDS: Final = ("function", "custom")


def tool_spec_from_wire(raw: Any) -> ToolSpec:
    """One `tools[]` entry → `ToolSpec`; tools other than function/custom (namespace bundles,
    `web_search`, …) are kept whole (`extra` is the whole tool, `name` shows its kind)."""
    if not isinstance(raw, dict):
        return ToolSpec(name="", extra={"_raw": raw})
    kind = raw.get("type", "function")
    name = raw.get("name")
    if kind not in _SPEC_KINDS or not isinstance(name, str):
        return ToolSpec(name=str(name if isinstance(name, str) else kind), extra=dict(raw))
    description = raw.get("description")
    schema = raw.get("parameters") if kind == "function" else None
    lifted = ["name"]
    if isinstance(description, str):
        lifted.append("description")
    if isinstance(schema, dict):
        lifted.append("parameters")
    return ToolSpec(
        name=name,
        description=description if isinstance(description, str) else None,
        input_schema=schema if isinstance(schema, dict) else None,
        extra=rest(raw, tuple(lifted)),
    )


def tool_spec_to_wire(spec: ToolSpec) -> Any:
    """`ToolSpec` → one `tools[]` entry (a spec from another format becomes a function)."""
    extra = spec.extra
    if "_raw" in extra and len(extra) == 1:
        return extra["_raw"]
    kind = extra.get("type", "function")
    if kind not in _SPEC_KINDS:
        return dict(extra)
    out: dict[str, Any] = {"type": kind, "name": spec.name}
    if spec.description is not None:
        out["description"] = spec.description
    if spec.input_schema is not None:
        out["parameters"] = spec.input_schema
    return fill(out, extra)
