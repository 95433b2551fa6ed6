"""Reading tool calls: tool-name families, and the shell commands, file paths and URLs in a
call's arguments. Malformed arguments never raise: JSON that does not parse is salvaged for
`"field": "string"` pairs, and anything else is treated as having no such field.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from typing import Any

import orjson

from policies.rules.urls import urls_in_text
from wire.neutral import ToolCallBlock

DEFAULT_SHELL_TOOLS = (
    "Bash", "bash", "shell", "run_shell_command", "execute_command", "terminal", "exec",
    "run_terminal_cmd", "local_shell",
)  # fmt: skip
#: Editor tools whose `command` field is an editor action (`view`, `create`), not a shell line.
EDITOR_TOOLS = frozenset({"str_replace_based_edit_tool", "str_replace_editor"})
_SHELL_EXTRA_FIELDS = ("script", "input", "code", "commands", "cmdline", "command_line")
_CWD_FIELDS = ("workdir", "cwd", "working_directory", "directory")
URL_FIELDS = (
    "url", "uri", "urls", "href", "link", "links", "website", "target_url", "page_url",
    "address", "endpoint",
)  # fmt: skip
_URL_START = re.compile(r"^\s*(?:https?|ftp|wss?)://", re.IGNORECASE)
_SALVAGE = re.compile(r'"(?P<key>[A-Za-z_][A-Za-z0-9_]*)"\s*:\s*"(?P<body>(?:[^"\\]|\\.)*)')


def tool_keys(name: str) -> set[str]:
    """Lower-case spellings a tool name is matched by: the whole name and, for namespaced
    names (`mcp__server__fetch`, `browser.navigate`), the last part."""
    low = name.strip().lower()
    keys = {low}
    for separator in ("__", ".", "/", ":"):
        if separator in low:
            keys.add(low.rsplit(separator, 1)[1])
    return keys


class ToolNames:
    """A case-insensitive set of tool names; `name in names` also matches namespaced names."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = {n.strip().lower() for n in names if n.strip()}

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and bool(tool_keys(name) & self.names)


def call_arguments(call: ToolCallBlock) -> Any:
    """The call's arguments as data: parsed JSON; salvaged string fields of broken JSON; else
    the raw text."""
    parsed = call.parsed_arguments()
    if isinstance(parsed, str):
        return salvage_fields(parsed) or parsed
    return parsed


def salvage_fields(text: str) -> dict[str, str]:
    """`"key": "value"` pairs found in text that is not valid JSON (e.g. cut off)."""
    fields: dict[str, str] = {}
    for match in _SALVAGE.finditer(text):
        body = match.group("body")
        try:
            value = orjson.loads(f'"{body}"')
        except orjson.JSONDecodeError:
            value = body
        fields.setdefault(match.group("key"), value if isinstance(value, str) else body)
    return fields


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _command_text(value: Any) -> str | None:
    """A shell line from a string, or from an argv list (`["bash", "-lc", "…"]`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return shlex.join(value)
    return None


def shell_commands(call: ToolCallBlock, shell_tools: ToolNames) -> list[tuple[str, str | None]]:
    """`(command line, working directory or None)` for each shell command in the call: from
    shell tools (by name), and from any tool with a `command`/`cmd` string or `argv` list."""
    if tool_keys(call.name) & EDITOR_TOOLS:
        return []
    is_shell = call.name in shell_tools
    args = call_arguments(call)
    if isinstance(args, str):
        return [(args, None)] if is_shell and args.strip() else []
    if isinstance(args, list):
        text = _command_text(args) if is_shell else None
        return [(text, None)] if text else []
    if not isinstance(args, dict):
        return []
    texts = [t for f in ("command", "cmd", "argv") if (t := _command_text(args.get(f)))]
    if is_shell and not texts:
        texts = [t for f in _SHELL_EXTRA_FIELDS for t in _strings(args.get(f))]
    cwd = next((v for f in _CWD_FIELDS if isinstance(v := args.get(f), str) and v), None)
    return [(text, cwd) for text in texts if text.strip()]


def path_values(args: Any, fields: Iterable[str]) -> list[str]:
    """Values of the path fields (strings or lists of strings), at the top level and one level
    down (`{"edits": [{"path": …}]}`, `{"params": {"file_path": …}}`)."""
    if not isinstance(args, dict):
        return []
    fields = tuple(fields)
    found = [p for f in fields for p in _strings(args.get(f))]
    for value in args.values():
        children = value if isinstance(value, list) else [value]
        for child in children:
            if isinstance(child, dict):
                found += [p for f in fields for p in _strings(child.get(f))]
    return [p for p in found if p.strip()]


def url_values(args: Any) -> list[str]:
    """URLs in a call's arguments: the URL fields, any string that is a URL, one level down;
    for raw (non-JSON) arguments, every URL in the text."""
    if isinstance(args, str):
        return urls_in_text(args)
    if not isinstance(args, dict):
        return []
    found = [u for f in URL_FIELDS for u in _strings(args.get(f))]
    candidates: list[str] = []
    for key, value in args.items():
        if key not in URL_FIELDS:
            candidates += _strings(value)
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, dict):
                found += [u for f in URL_FIELDS for u in _strings(child.get(f))]
                candidates += [s for v in child.values() for s in _strings(v)]
    found += [c.strip() for c in candidates if _URL_START.match(c)]
    return [u for u in found if u.strip()]
