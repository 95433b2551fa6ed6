"""OpenAI Chat Completions ↔ the canonical request (see `wire.translation.canonical`).

Lift (an OpenAI client's request): system and developer messages, wherever they are, become the
system prompt in order; `tool` messages become tool results in one user message (consecutive
results together, as parallel calls need); `image_url` parts become images (data URLs → base64).
Lower (to an OpenAI upstream): the system prompt becomes a leading `system` message; tool results
become `tool` messages right after the assistant's calls (images in a result follow in a user
message, which Chat Completions allows); thinking in the history is dropped with a note.
"""

from __future__ import annotations

from typing import Any, Final

from wire.codecs.common import RAW, compact_json, loads_or_missing
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
    EFFORT_BUDGETS,
    Canonical,
    CommonParams,
    ToolChoice,
    image_block,
    thinking_budget_to_effort,
    without_empty_text,
)
from wire.translation.support import (
    Notes,
    image_url,
    lift_openai_usage,
    number,
    openai_usage_counts,
    positive_int,
    refuse,
    string_list,
    tool_result_split,
)

_DROPPED: Final = frozenset(
    {"store", "metadata", "service_tier", "prompt_cache_key", "safety_identifier", "seed"}
)
"""Fields without an equivalent whose loss leaves the answer's content as asked: dropped, noted."""
_DEFAULTS: Final[dict[str, Any]] = {
    "n": 1,
    "logprobs": False,
    "frequency_penalty": 0,
    "presence_penalty": 0,
    "modalities": ["text"],
    "response_format": {"type": "text"},
    "parallel_tool_calls": True,
}
"""Fields sent with the value that means "the default": nothing to translate."""
_SILENT: Final = frozenset({"stream_options"})  # the gateway's own encoder answers it
_EMPTY_SCHEMA: Final[dict[str, Any]] = {"type": "object", "properties": {}}


# --- lift: an OpenAI client's request → canonical ----------------------------------------------


def lift_request(request: Request, notes: Notes) -> Canonical:
    """The client's decoded request in canonical form; 400 naming what cannot be translated."""
    system = [TextBlock(_plain_text([b], "system")) for b in request.system or []]  # a policy's
    messages: list[Message] = []
    for i, message in enumerate(request.messages):
        if RAW in message.hints:
            refuse(f"messages[{i}]", "the gateway cannot read this message")
        role = message.role
        if role in ("system", "developer"):
            system.append(TextBlock(_plain_text(message.content, f"messages[{i}].content")))
        elif role == "user":
            param = f"messages[{i}].content"
            parts = [_lift_part(b, param) for b in message.content]
            _append_user(messages, without_empty_text(parts))
        elif role == "assistant":
            blocks = without_empty_text(_lift_assistant(message, i, notes))
            messages.append(Message("assistant", blocks))
        elif role == "tool":
            result = next(b for b in message.content if isinstance(b, ToolResultBlock))
            output = _lift_result_content(result.content, f"messages[{i}].content")
            _append_user(messages, [ToolResultBlock(result.tool_call_id, output)])
        else:
            refuse(f"messages[{i}].role", f"role {role!r} has no equivalent")
    return Canonical(
        model=request.model,
        messages=messages,
        system=system or None,
        tools=_lift_tools(request.tools),
        stream=request.stream,
        params=_lift_params(request.params, notes),
    )


def _append_user(messages: list[Message], blocks: list[Block]) -> None:
    """Add user content, joining the user message before it when that one holds tool results
    (so every result of a parallel call lands in the one user turn after the calls)."""
    last = messages[-1] if messages else None
    if (
        last is not None
        and last.role == "user"
        and any(isinstance(b, ToolResultBlock) for b in last.content)
    ):
        last.content.extend(blocks)
    else:
        messages.append(Message("user", blocks))


def _plain_text(blocks: list[Block], param: str) -> str:
    parts = []
    for j, block in enumerate(blocks):
        if not isinstance(block, TextBlock):
            refuse(f"{param}[{j}]", "only text can be part of a system prompt")
        parts.append(block.text)
    return "\n".join(parts)


def _lift_part(block: Block, param: str) -> Block:
    """A user content part: text or an image."""
    if isinstance(block, TextBlock):
        return TextBlock(block.text)
    raw = block.raw if isinstance(block, OpaqueBlock) else {}
    if raw.get("type") == "image_url":
        return _lift_image(raw.get("image_url"), param)
    refuse(f"{param}.type", f"content part {raw.get('type')!r} has no equivalent")


def _lift_image(image: Any, param: str) -> OpaqueBlock:
    url = image.get("url") if isinstance(image, dict) else None
    if not isinstance(url, str):
        refuse(f"{param}.image_url", "an image needs a url")
    if url.startswith("data:"):
        head, sep, data = url[5:].partition(",")
        media_type, _, encoding = head.partition(";")
        if not sep or encoding != "base64" or not media_type:
            refuse(f"{param}.image_url", "a data URL image must be base64 with a media type")
        return image_block({"type": "base64", "media_type": media_type, "data": data})
    return image_block({"type": "url", "url": url})


def _lift_assistant(message: Message, i: int, notes: Notes) -> list[Block]:
    blocks: list[Block] = []
    for block in message.content:
        if isinstance(block, TextBlock):
            blocks.append(TextBlock(block.text))
        elif isinstance(block, ToolCallBlock):
            blocks.append(_lift_call(block, f"messages[{i}].tool_calls"))
        elif isinstance(block, OpaqueBlock) and block.type == "refusal":
            notes.add("an assistant refusal part in the history was dropped")
        else:
            refuse(f"messages[{i}].content", "an assistant part that is not text")
    if "reasoning_content" in message.extra:
        notes.add("reasoning_content in the history was dropped (no signature to send back)")
    return blocks


def _lift_call(block: ToolCallBlock, param: str) -> ToolCallBlock:
    if block.extra.get("type", "function") != "function":
        refuse(f"{param}.type", f"{block.extra.get('type')!r} tool calls have no equivalent")
    arguments = loads_or_missing(block.arguments) if block.arguments.strip() else {}
    if not isinstance(arguments, dict):
        refuse(f"{param}.function.arguments", "the arguments must be a JSON object")
    return ToolCallBlock(block.id, block.name, compact_json(arguments))


def _lift_result_content(content: Any, param: str) -> str | list[dict[str, Any]]:
    if content is None or isinstance(content, str):
        return content or ""
    out: list[dict[str, Any]] = []
    for j, part in enumerate(content):
        if isinstance(part, dict) and part.get("type") == "text":
            out.append({"type": "text", "text": str(part.get("text", ""))})
        elif isinstance(part, dict) and part.get("type") == "image_url":
            out.append(_lift_image(part.get("image_url"), f"{param}[{j}]").raw)
        else:
            refuse(f"{param}[{j}]", "a tool result part that is neither text nor an image")
    return out


def _lift_tools(tools: list[ToolSpec] | None) -> list[ToolSpec] | None:
    if tools is None:
        return None
    out = []
    for i, spec in enumerate(tools):
        if spec.extra.get("type", "function") != "function":
            refuse(f"tools[{i}].type", f"{spec.extra.get('type')!r} tools have no equivalent")
        out.append(ToolSpec(spec.name, spec.description, spec.input_schema or dict(_EMPTY_SCHEMA)))
    return out


def _lift_params(params: dict[str, Any], notes: Notes) -> CommonParams:
    common = CommonParams()
    for key, value in params.items():
        if value is None or key in _SILENT or _DEFAULTS.get(key, object()) == value:
            continue
        if key in ("max_tokens", "max_completion_tokens"):
            common.max_tokens = positive_int(value, key)
        elif key == "temperature":
            common.temperature = number(value, key)
        elif key == "top_p":
            common.top_p = number(value, key)
        elif key == "stop":
            common.stop = string_list(value, key)
        elif key == "tool_choice":
            common.tool_choice = _lift_tool_choice(value)
        elif key == "parallel_tool_calls":
            common.parallel_tool_calls = bool(value)
        elif key == "reasoning_effort":
            if value not in (*EFFORT_BUDGETS, "none"):
                refuse(key, f"unknown effort {value!r}")
            common.reasoning_effort = None if value == "none" else value
        elif key == "user":
            common.user = str(value)
        elif key in _DROPPED:
            notes.add(f"'{key}' was dropped: the upstream's format has no equivalent")
        else:
            refuse(key, "the upstream's format has no equivalent")
    return common


def _lift_tool_choice(value: Any) -> ToolChoice:
    if value in ("auto", "none"):
        return ToolChoice(value)
    if value == "required":
        return ToolChoice("any")
    function = value.get("function") if isinstance(value, dict) else None
    if isinstance(value, dict) and value.get("type") == "function" and isinstance(function, dict):
        name = function.get("name")
        if isinstance(name, str):
            return ToolChoice("tool", name)
    refuse("tool_choice", f"{value!r} has no equivalent")


# --- lower: canonical → a request for an OpenAI upstream ---------------------------------------


def lower_request(canonical: Canonical, notes: Notes) -> Request:
    """The canonical request as an OpenAI Chat Completions request."""
    messages: list[Message] = []
    if canonical.system:
        prompt = "\n\n".join(block.text for block in canonical.system)
        messages.append(Message("system", [TextBlock(prompt)]))
    for message in canonical.messages:
        if message.role == "user":
            messages += _lower_user(message.content)
        else:
            messages.append(Message("assistant", _lower_assistant(message.content, notes)))
    tools = None
    if canonical.tools is not None:
        tools = [ToolSpec(t.name, t.description, t.input_schema) for t in canonical.tools]
    return Request(
        format="openai",
        model=canonical.model,
        messages=messages,
        tools=tools,
        stream=canonical.stream,
        params=_lower_params(canonical.params, has_tools=bool(tools)),
    )


def _lower_user(content: list[Block]) -> list[Message]:
    """Tool results first (as `tool` messages), then the rest of the turn as one user message;
    images inside tool results follow the results in a user message."""
    out: list[Message] = []
    parts: list[Block] = []
    for block in content:
        if isinstance(block, ToolResultBlock):
            text, images = tool_result_split(block, _lower_image)
            out.append(Message("tool", [ToolResultBlock(block.tool_call_id, text)]))
            if images:
                label = TextBlock(f"(images returned by tool call {block.tool_call_id})")
                parts += [label, *images]
        elif isinstance(block, OpaqueBlock):
            parts.append(_lower_image(block.raw))
        else:
            parts.append(block)
    if parts:
        out.append(Message("user", parts))
    return out


def _lower_image(raw: dict[str, Any]) -> OpaqueBlock:
    url = image_url(raw)
    return OpaqueBlock({"type": "image_url", "image_url": {"url": url}})


def _lower_assistant(content: list[Block], notes: Notes) -> list[Block]:
    out: list[Block] = []
    for block in content:
        if isinstance(block, OpaqueBlock):  # thinking / redacted_thinking
            notes.add(f"{block.type} blocks in the history were dropped (no such Chat block)")
        else:
            out.append(block)
    return out


def _lower_params(common: CommonParams, *, has_tools: bool) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if common.max_tokens is not None:
        params["max_completion_tokens"] = common.max_tokens
    if common.temperature is not None:
        params["temperature"] = common.temperature
    if common.top_p is not None:
        params["top_p"] = common.top_p
    if common.stop:
        if len(common.stop) > 4:
            refuse("stop_sequences", "Chat Completions takes at most 4 stop sequences")
        params["stop"] = common.stop
    effort = common.reasoning_effort
    if effort is None and common.thinking_budget is not None:
        effort = thinking_budget_to_effort(common.thinking_budget)
    if effort is not None:
        params["reasoning_effort"] = effort
    if common.tool_choice is not None:
        params["tool_choice"] = _lower_tool_choice(common.tool_choice)
    if common.parallel_tool_calls is False and has_tools:
        params["parallel_tool_calls"] = False
    if common.user is not None:
        params["user"] = common.user
    return params


def _lower_tool_choice(choice: ToolChoice) -> Any:
    if choice.mode == "tool":
        return {"type": "function", "function": {"name": choice.name}}
    return "required" if choice.mode == "any" else choice.mode


# --- usage -------------------------------------------------------------------------------------


def lift_usage(usage: Usage) -> Usage:
    """An OpenAI usage → canonical (input without cached tokens, the cached ones apart)."""
    return lift_openai_usage(usage, "prompt_tokens_details")


def lower_usage(usage: Usage) -> Usage:
    """Canonical usage → OpenAI's `usage` object (prompt tokens include cached ones)."""
    prompt, completion, cached, _ = openai_usage_counts(usage)
    body: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if cached:
        body["prompt_tokens_details"] = {"cached_tokens": cached}
    return Usage(prompt, completion, body)
