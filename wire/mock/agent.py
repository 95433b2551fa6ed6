"""The `agent` behaviour: drive a real coding agent's loop with one-line directives.

The latest turn of the conversation decides (`wire.mock.turns`; trailing system messages
and `<system-reminder>` sections are ignored):

- the user's text contains a line ``RUN: <command>`` (the last such line wins): one sentence,
  then a call of the client's own shell tool with that command;
- a tool result: a short text quoting the result, so the agent's loop ends;
- anything else: ``You said: <the user's words>``.

The shell tool is found in the request's `tools`, never by client: the tool with a `command`
or `cmd` argument, preferring names that say shell, bash, exec or terminal. A string argument
gets the command; an array argument (argv style) gets ``["bash", "-lc", command]``. Without a
shell tool the reply says so in text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from wire.mock.prompt import Prompt
from wire.mock.turns import ToolSpec

DIRECTIVE = re.compile(r"^[ \t]*RUN:[ \t]*(\S.*?)[ \t]*$", re.MULTILINE)
REMINDER = re.compile(r"<system-reminder>.*?</system-reminder>", re.DOTALL)
COMMAND_KEYS = ("command", "cmd")
SHELL_NAME = re.compile(r"shell|bash|exec|terminal|command", re.IGNORECASE)
RESULT_LIMIT = 400
NO_SHELL = "I cannot run {command!r}: no shell tool was offered."


def user_words(text: str) -> str:
    """The user's own words: the text without `<system-reminder>` sections, trimmed."""
    return REMINDER.sub("", text).strip()


def directive(text: str) -> str | None:
    """The command of the last ``RUN:`` line outside reminders, if any."""
    found = DIRECTIVE.findall(user_words(text))
    return found[-1] if found else None


def shell_tool(tools: tuple[ToolSpec, ...]) -> tuple[ToolSpec, str] | None:
    """The offered tool that runs shell commands, and the name of its command argument."""
    candidates = [(t, key) for t in tools for key in COMMAND_KEYS if key in _properties(t)]
    named = [c for c in candidates if SHELL_NAME.search(c[0].name)]
    return (named or candidates)[0] if candidates else None


def shell_arguments(tool: ToolSpec, key: str, command: str) -> dict[str, Any]:
    """The arguments of a call of `tool` that runs `command`."""
    schema = _properties(tool).get(key)
    kind = schema.get("type") if isinstance(schema, dict) else None
    if kind == "array" or (isinstance(kind, list) and "array" in kind and "string" not in kind):
        return {key: ["bash", "-lc", command]}
    return {key: command}


@dataclass(frozen=True, slots=True)
class AgentReply:
    """What the agent answers: a text, then possibly one tool call (name, arguments)."""

    text: str
    call: tuple[str, dict[str, Any]] | None = field(default=None, hash=False)


def agent_reply(prompt: Prompt) -> AgentReply:
    """The reply of the `agent` behaviour (see the module docstring)."""
    turn = prompt.latest
    if turn.kind == "tool_result":
        return AgentReply(f"The command finished. Output: {_clip(turn.text) or '(none)'}")
    command = directive(turn.text) if turn.kind == "text" else None
    if command is None:
        said = user_words(turn.text)
        return AgentReply(f"You said: {said}" if said else "You said nothing.")
    found = shell_tool(prompt.tools)
    if found is None:
        return AgentReply(NO_SHELL.format(command=command))
    tool, key = found
    return AgentReply(f"Running `{command}` now.", (tool.name, shell_arguments(tool, key, command)))


def _properties(tool: ToolSpec) -> dict[str, Any]:
    properties = tool.parameters.get("properties")
    return properties if isinstance(properties, dict) else {}


def _clip(text: str) -> str:
    text = text.strip()
    return text if len(text) <= RESULT_LIMIT else text[:RESULT_LIMIT] + "…"
