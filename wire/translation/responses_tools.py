"""The tools of a Responses request, for the canonical request (see `wire.translation.responses`).

Function tools pass as they are (`strict` dropped). The functions of a `namespace` bundle become
tools named `<namespace>__<name>`; a custom (free-form input) tool becomes a function taking
its input as one string argument `input`. Each such tool is recorded in `call_names` with how
its calls go back to the client (`ClientCall`: name, `namespace` or `custom_tool_call`, the
input unwrapped). Built-in tools (`web_search`, `file_search`, …), custom tools with a grammar
and custom tools inside a namespace are refused with a 400 naming the field.
"""

from __future__ import annotations

from typing import Any, Final

from wire.codecs.openai_responses.mapping import tool_spec_from_wire
from wire.neutral import ToolSpec
from wire.translation.canonical import ClientCall
from wire.translation.support import refuse

CUSTOM_INPUT: Final = "input"
"""The one argument a custom (free-form) tool's input travels in."""
_NAMESPACE_JOIN: Final = "__"
_MAX_NAME: Final = 64  # the longest tool name both other formats accept
_EMPTY_SCHEMA: Final[dict[str, Any]] = {"type": "object", "properties": {}}


def lift_tools(
    tools: list[ToolSpec] | None,
) -> tuple[list[ToolSpec] | None, dict[str, ClientCall]]:
    """Function tools, with the functions of `namespace` bundles flattened and custom tools
    wrapped (and how their calls go back to the client); built-in tools are refused."""
    if tools is None:
        return None, {}
    out: list[ToolSpec] = []
    names: dict[str, ClientCall] = {}
    for i, spec in enumerate(tools):
        kind = spec.extra.get("type", "function")
        if kind == "namespace":
            out += _lift_namespace(spec.extra, f"tools[{i}]", names)
        elif kind == "custom":
            out.append(_lift_custom(spec, f"tools[{i}]", names))
        else:
            out.append(_lift_function(spec, kind, f"tools[{i}]"))
    return out, names


def _lift_custom(spec: ToolSpec, param: str, names: dict[str, ClientCall]) -> ToolSpec:
    """A custom tool as a function taking its free-form input as one string; a grammar the
    input must follow cannot be imposed on the upstream's model: refused."""
    if spec.extra.get("format") not in (None, {"type": "text"}):
        refuse(f"{param}.format", "a custom tool's grammar cannot be imposed on the model")
    input_schema = {"type": "string", "description": "The tool's whole input, as plain text."}
    schema = {
        "type": "object",
        "properties": {CUSTOM_INPUT: input_schema},
        "required": [CUSTOM_INPUT],
    }
    extra = {"type": "custom_tool_call", "status": "completed"}
    names[spec.name] = ClientCall(spec.name, extra, unwrap=CUSTOM_INPUT)
    return ToolSpec(spec.name, spec.description, schema)


def _lift_function(spec: ToolSpec, kind: Any, param: str) -> ToolSpec:
    if kind == "custom":
        refuse(f"{param}.type", "custom tools inside a namespace have no equivalent")
    if kind != "function":
        refuse(f"{param}.type", f"{kind!r} is a built-in tool the provider runs")
    return ToolSpec(spec.name, spec.description, spec.input_schema or dict(_EMPTY_SCHEMA))


def _lift_namespace(
    raw: dict[str, Any], param: str, names: dict[str, ClientCall]
) -> list[ToolSpec]:
    namespace, members = raw.get("name"), raw.get("tools")
    if not isinstance(namespace, str) or not isinstance(members, list):
        refuse(param, "a namespace needs a name and a list of tools")
    out = []
    for j, member in enumerate(members):
        spec = tool_spec_from_wire(member)
        function = _lift_function(spec, spec.extra.get("type", "function"), f"{param}.tools[{j}]")
        flat = flat_name(namespace, function.name, f"{param}.tools[{j}].name")
        extra = {"type": "function_call", "status": "completed", "namespace": namespace}
        names[flat] = ClientCall(function.name, extra)
        out.append(ToolSpec(flat, function.description, function.input_schema))
    return out


def flat_name(namespace: Any, name: str, param: str) -> str:
    """A namespaced function's name as one tool name (`<namespace>__<name>`)."""
    flat = f"{namespace}{_NAMESPACE_JOIN}{name}"
    if len(flat) > _MAX_NAME:
        refuse(param, f"the namespaced tool name {flat!r} is longer than {_MAX_NAME} characters")
    return flat
