"""The canonical request → an OpenAI Responses request (for a Responses-only upstream).

No route leads a Chat Completions or Messages client to a Responses upstream today (an OpenAI
upstream serves them Chat Completions), so this direction exists for completeness and is tested
on its own: the system prompt becomes `instructions`; user text and images become a user
message's `input_text` / `input_image` parts; each tool result a `function_call_output` item
(images in a result follow in a user message); assistant text an assistant message, each call a
`function_call` item; thinking in the history is dropped with a note. `store: false` is always
sent: the gateway never leaves answers stored on the provider.
"""

from __future__ import annotations

from typing import Any

from wire.codecs.openai_responses.request import ITEM_TYPE
from wire.neutral import (
    Block,
    Message,
    OpaqueBlock,
    Request,
    TextBlock,
    ToolCallBlock,
    ToolResultBlock,
    ToolSpec,
)
from wire.translation.canonical import (
    Canonical,
    CommonParams,
    ToolChoice,
    thinking_budget_to_effort,
)
from wire.translation.support import Notes, image_url, refuse, tool_result_split


def lower_request(canonical: Canonical, notes: Notes) -> Request:
    """The canonical request as a Responses request."""
    items: list[Message] = []
    for message in canonical.messages:
        if message.role == "user":
            items += _lower_user(message.content)
        else:
            items += _lower_assistant(message.content, notes)
    tools = None
    if canonical.tools is not None:
        tools = [ToolSpec(t.name, t.description, t.input_schema) for t in canonical.tools]
    system: list[Block] | None = None
    if canonical.system:
        system = [TextBlock("\n\n".join(block.text for block in canonical.system))]
    return Request(
        format="responses",
        model=canonical.model,
        messages=items,
        system=system,
        tools=tools,
        stream=canonical.stream,
        params=_lower_params(canonical.params, has_tools=bool(tools)),
    )


def _lower_user(content: list[Block]) -> list[Message]:
    out: list[Message] = []
    parts: list[Block] = []
    for block in content:
        if isinstance(block, ToolResultBlock):
            text, images = tool_result_split(block, _lower_image)
            result = ToolResultBlock(block.tool_call_id, text)
            out.append(Message("tool", [result], hints={ITEM_TYPE: "function_call_output"}))
            if images:
                parts += [TextBlock(f"(images returned by tool call {block.tool_call_id})")]
                parts += images
        elif isinstance(block, OpaqueBlock):
            parts.append(_lower_image(block.raw))
        else:
            parts.append(TextBlock(block.text if isinstance(block, TextBlock) else ""))
    if parts:
        out.append(Message("user", parts))
    return out


def _lower_image(raw: dict[str, Any]) -> OpaqueBlock:
    url = image_url(raw)
    return OpaqueBlock({"type": "input_image", "image_url": url, "detail": "auto"})


def _lower_assistant(content: list[Block], notes: Notes) -> list[Message]:
    out: list[Message] = []
    text: list[Block] = []
    for block in content:
        if isinstance(block, TextBlock):
            text.append(TextBlock(block.text))
            continue
        if text:
            out.append(Message("assistant", text))
            text = []
        if isinstance(block, ToolCallBlock):
            call = ToolCallBlock(block.id, block.name, block.arguments)
            out.append(Message("assistant", [call], hints={ITEM_TYPE: "function_call"}))
        elif isinstance(block, OpaqueBlock):  # thinking / redacted_thinking
            notes.add(f"{block.type} blocks in the history were dropped (no such Responses item)")
    if text:
        out.append(Message("assistant", text))
    return out


def _lower_params(common: CommonParams, *, has_tools: bool) -> dict[str, Any]:
    params: dict[str, Any] = {"store": False}
    if common.max_tokens is not None:
        params["max_output_tokens"] = common.max_tokens
    if common.temperature is not None:
        params["temperature"] = common.temperature
    if common.top_p is not None:
        params["top_p"] = common.top_p
    if common.stop:
        refuse("stop", "the Responses API has no stop sequences")
    effort = common.reasoning_effort
    if effort is None and common.thinking_budget is not None:
        effort = thinking_budget_to_effort(common.thinking_budget)
    if effort is not None:
        params["reasoning"] = {"effort": effort}
    if common.tool_choice is not None:
        params["tool_choice"] = _lower_tool_choice(common.tool_choice)
    if common.parallel_tool_calls is False and has_tools:
        params["parallel_tool_calls"] = False
    if common.user is not None:
        params["user"] = common.user
    return params


def _lower_tool_choice(choice: ToolChoice) -> Any:
    if choice.mode == "tool":
        return {"type": "function", "name": choice.name}
    return "required" if choice.mode == "any" else choice.mode
