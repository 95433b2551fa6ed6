"""Anthropic Messages ↔ the canonical request (see `wire.translation.canonical`).

The canonical form is close to Anthropic's own, so this adapter mostly checks and cleans:
`cache_control` and `citations` are dropped (caching hints and quotes of earlier answers), server
tools and their blocks, documents and other block types are refused (400 naming them), system
role messages (Claude Code sends some) join the system prompt. Lower fills in `max_tokens`
(`DEFAULT_MAX_TOKENS`, noted) because the Messages API requires it, and turns a reasoning effort
into a thinking budget.
"""

from __future__ import annotations

from typing import Any, Final

from wire.codecs.common import RAW
from wire.neutral import (
    Block,
    Message,
    OpaqueBlock,
    Request,
    TextBlock,
    ToolCallBlock,
    ToolResultBlock,
    ToolSpec,
    Usage,
)
from wire.translation.canonical import (
    DEFAULT_MAX_TOKENS,
    EFFORT_BUDGETS,
    Canonical,
    CommonParams,
    ToolChoice,
)
from wire.translation.support import Notes, number, positive_int, refuse, string_list

_DROPPED: Final = frozenset({"service_tier", "cache_control", "context_management"})
"""Fields whose loss leaves the answer as asked (`context_management` only trims context on
Anthropic's side): dropped, noted."""
_EFFORTS: Final[dict[str, str]] = {"low": "low", "medium": "medium", "high": "high", "max": "high"}
_KEPT_OPAQUE: Final = frozenset({"thinking", "redacted_thinking"})
_CHOICES: Final = frozenset({"auto", "any", "none"})


# --- lift: an Anthropic client's request → canonical -------------------------------------------


def lift_request(request: Request, notes: Notes) -> Canonical:
    """The client's decoded request in canonical form; 400 naming what cannot be translated."""
    system = [_system_text(b, f"system[{j}]") for j, b in enumerate(request.system or [])]
    messages: list[Message] = []
    for i, message in enumerate(request.messages):
        if RAW in message.hints:
            refuse(f"messages[{i}]", "the gateway cannot read this message")
        if message.role == "system":
            system += [_system_text(b, f"messages[{i}].content") for b in message.content]
            notes.add("system messages inside 'messages' joined the system prompt")
            continue
        if message.role not in ("user", "assistant"):
            refuse(f"messages[{i}].role", f"role {message.role!r} has no equivalent")
        param = f"messages[{i}].content"
        blocks = [_lift_block(b, f"{param}[{j}]") for j, b in enumerate(message.content)]
        messages.append(Message(message.role, blocks))
    return Canonical(
        model=request.model,
        messages=messages,
        system=system or None,
        tools=_lift_tools(request.tools),
        stream=request.stream,
        params=_lift_params(request.params, notes),
    )


def _system_text(block: Block, param: str) -> TextBlock:
    if not isinstance(block, TextBlock):
        refuse(param, "only text can be part of a system prompt")
    return TextBlock(block.text)


def _lift_block(block: Block, param: str) -> Block:
    if isinstance(block, TextBlock):
        return TextBlock(block.text)
    if isinstance(block, ToolCallBlock):
        if block.runs_upstream:
            refuse(f"{param}.type", f"{block.extra.get('type')!r} blocks (provider-run tools)")
        return ToolCallBlock(block.id, block.name, block.arguments)
    if isinstance(block, ToolResultBlock):
        return ToolResultBlock(
            block.tool_call_id, _lift_result_content(block.content, param), block.is_error
        )
    assert isinstance(block, OpaqueBlock)
    if block.type == "image":
        return _lift_image(block.raw, param)
    if block.type in _KEPT_OPAQUE:
        return OpaqueBlock(dict(block.raw))
    refuse(f"{param}.type", f"{block.type!r} blocks have no equivalent")


def _lift_image(raw: dict[str, Any], param: str) -> OpaqueBlock:
    source = raw.get("source")
    if not isinstance(source, dict) or source.get("type") not in ("base64", "url"):
        refuse(f"{param}.source", "only base64 and url images can be translated")
    return OpaqueBlock({"type": "image", "source": source})


def _lift_result_content(content: Any, param: str) -> str | list[dict[str, Any]]:
    if content is None or isinstance(content, str):
        return content or ""
    if not isinstance(content, list):
        refuse(f"{param}.content", "a tool result must be text or a list of blocks")
    out: list[dict[str, Any]] = []
    for j, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            out.append({"type": "text", "text": str(part.get("text", ""))})
        elif kind == "image":
            out.append(_lift_image(part, f"{param}.content[{j}]").raw)
        else:
            refuse(f"{param}.content[{j}].type", f"{kind!r} tool result parts have no equivalent")
    return out


def _lift_tools(tools: list[ToolSpec] | None) -> list[ToolSpec] | None:
    if tools is None:
        return None
    out = []
    for i, spec in enumerate(tools):
        kind = spec.extra.get("type", "custom")
        if kind != "custom" or not spec.name:
            refuse(f"tools[{i}].type", f"{kind!r} is a provider-run tool")
        schema = spec.input_schema or {"type": "object", "properties": {}}
        out.append(ToolSpec(spec.name, spec.description, schema))
    return out


def _lift_params(params: dict[str, Any], notes: Notes) -> CommonParams:
    common = CommonParams()
    for key, value in params.items():
        if value is None:
            continue
        if key == "max_tokens":
            common.max_tokens = positive_int(value, key)
        elif key in ("temperature", "top_p"):
            setattr(common, key, number(value, key))
        elif key == "stop_sequences":
            common.stop = string_list(value, key) or None
        elif key == "tool_choice":
            _lift_tool_choice(value, common)
        elif key == "thinking":
            _lift_thinking(value, common, notes)
        elif key == "metadata":
            _lift_metadata(value, common, notes)
        elif key == "output_config":
            _lift_output_config(value, common)
        elif key in _DROPPED:
            notes.add(f"'{key}' was dropped: the upstream's format has no equivalent")
        else:
            refuse(key, "the upstream's format has no equivalent")
    return common


def _lift_tool_choice(value: Any, common: CommonParams) -> None:
    kind = value.get("type") if isinstance(value, dict) else None
    if kind in _CHOICES:
        common.tool_choice = ToolChoice(kind)
    elif kind == "tool" and isinstance(value.get("name"), str):
        common.tool_choice = ToolChoice("tool", value["name"])
    else:
        refuse("tool_choice", f"{value!r} has no equivalent")
    if value.get("disable_parallel_tool_use") is True:
        common.parallel_tool_calls = False


def _lift_thinking(value: Any, common: CommonParams, notes: Notes) -> None:
    kind = value.get("type") if isinstance(value, dict) else None
    if kind == "enabled":
        common.thinking_budget = positive_int(value.get("budget_tokens"), "thinking.budget_tokens")
    elif kind != "disabled":
        notes.add(
            f"thinking {kind!r} was dropped: only a budget or an effort (output_config.effort) "
            "can be translated"
        )


def _lift_output_config(value: Any, common: CommonParams) -> None:
    """`output_config.effort` (Claude Code sends it) → the reasoning effort; other settings
    (e.g. a JSON schema `format`) are refused."""
    if not isinstance(value, dict):
        refuse("output_config", f"expected an object, got {value!r}")
    for key, setting in value.items():
        if key == "effort" and setting in _EFFORTS:
            common.reasoning_effort = _EFFORTS[setting]
        elif setting is not None:
            refuse(f"output_config.{key}", "the upstream's format has no equivalent")


def _lift_metadata(value: Any, common: CommonParams, notes: Notes) -> None:
    if isinstance(value, dict) and isinstance(value.get("user_id"), str):
        common.user = value["user_id"]
    if not isinstance(value, dict) or set(value) - {"user_id"}:
        notes.add("'metadata' fields other than user_id were dropped")


# --- lower: canonical → a request for an Anthropic upstream ------------------------------------


def lower_request(canonical: Canonical, notes: Notes) -> Request:
    """The canonical request as an Anthropic Messages request."""
    tools = None
    if canonical.tools is not None:
        tools = [ToolSpec(t.name, t.description, t.input_schema) for t in canonical.tools]
    return Request(
        format="anthropic",
        model=canonical.model,
        messages=[Message(m.role, list(m.content)) for m in canonical.messages],
        system=list(canonical.system) if canonical.system else None,
        tools=tools,
        stream=canonical.stream,
        params=_lower_params(canonical.params, notes, has_tools=bool(tools)),
    )


def _lower_params(common: CommonParams, notes: Notes, *, has_tools: bool) -> dict[str, Any]:
    params: dict[str, Any] = {}
    budget = common.thinking_budget
    if budget is None and common.reasoning_effort is not None:
        budget = EFFORT_BUDGETS[common.reasoning_effort]
    max_tokens = common.max_tokens
    if max_tokens is None:
        max_tokens = DEFAULT_MAX_TOKENS + (budget or 0)
        notes.add(f"max_tokens was not given: sent {max_tokens} (the Messages API requires it)")
    elif budget is not None and budget >= max_tokens:
        refuse("reasoning_effort", f"its thinking budget ({budget}) needs max tokens above it")
    params["max_tokens"] = max_tokens
    if common.temperature is not None:
        if not 0 <= common.temperature <= 1:
            refuse("temperature", "the Messages API accepts 0 to 1")
        params["temperature"] = common.temperature
    if common.top_p is not None:
        params["top_p"] = common.top_p
    if common.stop:
        params["stop_sequences"] = common.stop
    if budget is not None:
        params["thinking"] = {"type": "enabled", "budget_tokens": budget}
    choice = _lower_tool_choice(common.tool_choice, common.parallel_tool_calls, has_tools)
    if choice is not None:
        params["tool_choice"] = choice
    if common.user is not None:
        params["metadata"] = {"user_id": common.user}
    return params


def _lower_tool_choice(
    choice: ToolChoice | None, parallel: bool | None, has_tools: bool
) -> dict[str, Any] | None:
    if choice is None and not (parallel is False and has_tools):
        return None
    out: dict[str, Any] = {"type": choice.mode if choice is not None else "auto"}
    if choice is not None and choice.mode == "tool":
        out["name"] = choice.name
    if parallel is False and out["type"] != "none":
        out["disable_parallel_tool_use"] = True
    return out


# --- usage -------------------------------------------------------------------------------------


def lift_usage(usage: Usage) -> Usage:
    """Anthropic usage → canonical (the same counting; cache counts kept in `raw`)."""
    raw = usage.raw or {}
    keys = ("cache_read_input_tokens", "cache_creation_input_tokens")
    counts = {k: raw[k] for k in keys if isinstance(raw.get(k), int)}
    return Usage(usage.input_tokens, usage.output_tokens, counts)


def lower_usage(usage: Usage) -> Usage:
    """Canonical usage → Anthropic's `usage` object."""
    body: dict[str, Any] = {
        "input_tokens": usage.input_tokens or 0,
        "output_tokens": usage.output_tokens or 0,
    }
    body.update(usage.raw or {})
    return Usage(usage.input_tokens, usage.output_tokens, body)
