"""OpenAI Responses → the canonical request (see `wire.translation.canonical`), and usage.

Lift (a Responses client's request, e.g. Codex): `instructions` and `system`/`developer` input
messages become the system prompt in order; `function_call` items join the assistant turn and
`function_call_output` items the user turn after it (parallel results together); `input_image`
parts become images; `reasoning` items in the history are dropped with a note (their
`encrypted_content` only the provider that wrote it can read). Refused with a 400 naming the
field: what only a Responses upstream can honour (`previous_response_id`, `store: true`,
`background`, built-in tools such as `web_search`, `include` other than encrypted reasoning,
structured `text.format`) and what has no equivalent (`local_shell_call`, `item_reference`,
`input_file`, a custom tool with a grammar). The functions of a `namespace` bundle (Codex's
sub-agent tools) are flattened to `<namespace>__<name>`, and a custom (free-form) tool becomes a
function with one string argument `input`; their calls in the answer get their own name,
`namespace` and free-form input back (`Canonical.call_names`); tools are lifted in
`wire.translation.responses_tools`. Lowering to a Responses upstream is in
`wire.translation.responses_lower`.
"""

from __future__ import annotations

from typing import Any, Final

from wire.codecs.common import RAW, compact_json, loads_or_missing
from wire.codecs.openai_responses.request import ITEM_TYPE
from wire.neutral import (
    Block,
    Message,
    OpaqueBlock,
    Request,
    TextBlock,
    ToolCallBlock,
    ToolResultBlock,
    Usage,
)
from wire.translation.canonical import (
    EFFORT_BUDGETS,
    Canonical,
    CommonParams,
    ToolChoice,
    image_block,
    without_empty_text,
)
from wire.translation.responses_tools import CUSTOM_INPUT, flat_name, lift_tools
from wire.translation.support import (
    Notes,
    lift_openai_usage,
    number,
    openai_usage_counts,
    positive_int,
    refuse,
)

_DROPPED: Final = frozenset(
    {
        "metadata",
        "client_metadata",  # Codex's turn and installation ids
        "service_tier",
        "prompt_cache_key",
        "safety_identifier",
        "truncation",
    }
)
"""Fields whose loss leaves the answer's content as asked: dropped, noted."""
_DEFAULTS: Final[dict[str, Any]] = {
    "store": False,
    "previous_response_id": None,
    "background": False,
    "include": [],
    "parallel_tool_calls": True,
    "text": {"format": {"type": "text"}},
}
"""Fields sent with the value that means "nothing to translate"."""
_SILENT: Final = frozenset({"stream_options"})  # the gateway's own encoder answers it
_EFFORTS: Final[dict[str, str | None]] = {
    **{effort: effort for effort in EFFORT_BUDGETS},
    "xhigh": "high",
    "none": None,
}
_INCLUDE_DROPPED: Final = frozenset({"reasoning.encrypted_content"})
_OUTPUTS: Final = frozenset({"function_call_output", "custom_tool_call_output"})
_CALLS: Final = frozenset({"function_call", "custom_tool_call"})


# --- lift: a Responses client's request → canonical --------------------------------------------


def lift_request(request: Request, notes: Notes) -> Canonical:
    """The client's decoded request in canonical form; 400 naming what cannot be translated."""
    system = [_plain_text(b, "instructions") for b in request.system or []]
    tools, call_names = lift_tools(request.tools)
    messages: list[Message] = []
    for i, message in enumerate(request.messages):
        param = f"input[{i}]"
        if RAW in message.hints:
            refuse(param, _raw_reason(message.hints[RAW]))
        kind = message.hints.get(ITEM_TYPE)
        if kind == "reasoning":
            notes.add("reasoning items in the input were dropped (only their provider reads them)")
        elif kind in _OUTPUTS:
            result = message.content[0]
            assert isinstance(result, ToolResultBlock)
            output = _lift_output(result.content, f"{param}.output")
            _append(messages, "user", [ToolResultBlock(result.tool_call_id, output)])
        elif kind in _CALLS:
            call = message.content[0]
            assert isinstance(call, ToolCallBlock)
            _append(messages, "assistant", [_lift_call(call, param)])
        elif kind is not None:
            refuse(f"{param}.type", f"{kind!r} items have no equivalent")
        else:
            _lift_message(message, param, system, messages, notes)
    return Canonical(
        model=request.model,
        messages=messages,
        system=system or None,
        tools=tools,
        stream=request.stream,
        params=_lift_params(request.params, notes),
        call_names=call_names,
    )


def _raw_reason(raw: Any) -> str:
    kind = raw.get("type") if isinstance(raw, dict) else None
    return f"{kind!r} items have no equivalent" if kind else "the gateway cannot read this item"


def _lift_message(
    message: Message, param: str, system: list[TextBlock], out: list[Message], notes: Notes
) -> None:
    role = message.role
    if role in ("system", "developer"):
        system += [_plain_text(b, f"{param}.content") for b in message.content]
    elif role == "user":
        parts = [_lift_part(b, f"{param}.content[{j}]") for j, b in enumerate(message.content)]
        _append(out, "user", without_empty_text(parts))
    elif role == "assistant":
        blocks: list[Block] = []
        for j, block in enumerate(message.content):
            if isinstance(block, TextBlock):
                blocks.append(TextBlock(block.text))
            elif isinstance(block, OpaqueBlock) and block.type == "refusal":
                notes.add("an assistant refusal part in the input was dropped")
            else:
                refuse(f"{param}.content[{j}]", "an assistant part that is not text")
        _append(out, "assistant", without_empty_text(blocks))
    else:
        refuse(f"{param}.role", f"role {role!r} has no equivalent")


def _plain_text(block: Block, param: str) -> TextBlock:
    if not isinstance(block, TextBlock):
        refuse(param, "only text can be part of a system prompt")
    return TextBlock(block.text)


def _append(messages: list[Message], role: str, blocks: list[Block]) -> None:
    """Add content to the conversation, joining the message before it when that one has the
    same role (a Responses input lists a turn's calls, results and text as separate items)."""
    if not blocks:
        return
    last = messages[-1] if messages else None
    if last is not None and last.role == role:
        last.content.extend(blocks)
    else:
        messages.append(Message(role, blocks))


def _lift_part(block: Block, param: str) -> Block:
    """A user content part: text or an image."""
    if isinstance(block, TextBlock):
        return TextBlock(block.text)
    raw = block.raw if isinstance(block, OpaqueBlock) else {}
    if raw.get("type") == "input_image":
        return _lift_image(raw, param)
    refuse(f"{param}.type", f"content part {raw.get('type')!r} has no equivalent")


def _lift_image(raw: dict[str, Any], param: str) -> OpaqueBlock:
    url = raw.get("image_url")
    if not isinstance(url, str):
        refuse(f"{param}.image_url", "an image needs an image_url (file ids cannot be sent)")
    if url.startswith("data:"):
        head, sep, data = url[5:].partition(",")
        media_type, _, encoding = head.partition(";")
        if not sep or encoding != "base64" or not media_type:
            refuse(f"{param}.image_url", "a data URL image must be base64 with a media type")
        return image_block({"type": "base64", "media_type": media_type, "data": data})
    return image_block({"type": "url", "url": url})


def _lift_call(block: ToolCallBlock, param: str) -> ToolCallBlock:
    if block.extra.get("type") == "custom_tool_call":
        if not block.id:
            refuse(f"{param}.call_id", "a custom tool call needs a call_id")
        return ToolCallBlock(block.id, block.name, compact_json({CUSTOM_INPUT: block.arguments}))
    arguments = loads_or_missing(block.arguments) if block.arguments.strip() else {}
    if not isinstance(arguments, dict):
        refuse(f"{param}.arguments", "the arguments must be a JSON object")
    if not block.id:
        refuse(f"{param}.call_id", "a function call needs a call_id")
    namespace = block.extra.get("namespace")
    name = flat_name(namespace, block.name, param) if namespace else block.name
    return ToolCallBlock(block.id, name, compact_json(arguments))


def _lift_output(output: Any, param: str) -> str | list[dict[str, Any]]:
    if output is None or isinstance(output, str):
        return output or ""
    if not isinstance(output, list):
        refuse(param, "a tool output must be a string or a list of content parts")
    out: list[dict[str, Any]] = []
    for j, part in enumerate(output):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("input_text", "output_text"):
            out.append({"type": "text", "text": str(part.get("text", ""))})
        elif kind == "input_image":
            out.append(_lift_image(part, f"{param}[{j}]").raw)
        else:
            refuse(f"{param}[{j}].type", f"{kind!r} output parts have no equivalent")
    return out


def _lift_params(params: dict[str, Any], notes: Notes) -> CommonParams:
    common = CommonParams()
    for key, value in params.items():
        if value is None or key in _SILENT or _DEFAULTS.get(key, object()) == value:
            continue
        if key == "max_output_tokens":
            common.max_tokens = positive_int(value, key)
        elif key in ("temperature", "top_p"):
            setattr(common, key, number(value, key))
        elif key == "tool_choice":
            common.tool_choice = _lift_tool_choice(value)
        elif key == "parallel_tool_calls":
            common.parallel_tool_calls = bool(value)
        elif key == "reasoning":
            _lift_reasoning(value, common, notes)
        elif key == "include":
            _lift_include(value, notes)
        elif key == "text":
            _lift_text(value, notes)
        elif key == "user":
            common.user = str(value)
        elif key in _DROPPED:
            notes.add(f"'{key}' was dropped: the upstream's format has no equivalent")
        elif key == "store":
            refuse(key, "the upstream cannot store responses (send store: false)")
        elif key == "previous_response_id":
            refuse(key, "the upstream cannot continue a stored response (send the whole input)")
        else:
            refuse(key, "the upstream's format has no equivalent")
    return common


def _lift_tool_choice(value: Any) -> ToolChoice:
    if value in ("auto", "none"):
        return ToolChoice(value)
    if value == "required":
        return ToolChoice("any")
    if isinstance(value, dict) and value.get("type") == "function":
        name = value.get("name")
        if isinstance(name, str):
            return ToolChoice("tool", name)
    refuse("tool_choice", f"{value!r} has no equivalent")


def _lift_reasoning(value: Any, common: CommonParams, notes: Notes) -> None:
    if not isinstance(value, dict):
        refuse("reasoning", f"expected an object, got {value!r}")
    for key, setting in value.items():
        if key == "effort":
            if setting is not None and setting not in _EFFORTS:
                refuse("reasoning.effort", f"unknown effort {setting!r}")
            common.reasoning_effort = _EFFORTS.get(setting) if setting is not None else None
        elif key in ("summary", "generate_summary"):
            if setting is not None:
                notes.add("'reasoning.summary' was dropped: the answer's reasoning is not relayed")
        elif setting is not None:
            refuse(f"reasoning.{key}", "the upstream's format has no equivalent")


def _lift_include(value: Any, notes: Notes) -> None:
    """`include` asks for extra output data; only encrypted reasoning can be let go (the
    answer's reasoning is dropped anyway, noted), anything else is refused."""
    if not isinstance(value, list):
        refuse("include", f"expected a list, got {value!r}")
    for item in value:
        if item not in _INCLUDE_DROPPED:
            refuse("include", f"{item!r} cannot be included by the upstream")
        notes.add(f"'include' {item!r} was dropped: the answer's reasoning is not relayed")


def _lift_text(value: Any, notes: Notes) -> None:
    if not isinstance(value, dict):
        refuse("text", f"expected an object, got {value!r}")
    for key, setting in value.items():
        if key == "format" and setting in (None, {"type": "text"}):
            continue
        if key == "verbosity":
            notes.add("'text.verbosity' was dropped: the upstream's format has no equivalent")
        elif setting is not None:
            refuse(f"text.{key}", "the upstream's format has no equivalent")


# --- usage -------------------------------------------------------------------------------------


def lift_usage(usage: Usage) -> Usage:
    """A Responses usage → canonical (input without cached tokens, the cached ones apart)."""
    return lift_openai_usage(usage, "input_tokens_details")


def lower_usage(usage: Usage) -> Usage:
    """Canonical usage → the Responses `usage` object (input tokens include cached ones)."""
    given, produced, cached, created = openai_usage_counts(usage)
    body: dict[str, Any] = {
        "input_tokens": given,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": created},
        "output_tokens": produced,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": given + produced,
    }
    return Usage(given, produced, body)
