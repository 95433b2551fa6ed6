"""The format-independent script of a mock reply: content parts, stop reason, usage.

A `Script` says *what* the reply contains, split into the pieces a stream would carry; the wire
modules say *how* each format puts it on the wire. `build_script` maps a behaviour to a script.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from wire.mock.agent import agent_reply
from wire.mock.judge import judge_reply
from wire.mock.prompt import Prompt
from wire.mock.spec import MockSpec
from wire.mock.trusted import trusted_reply

StopReason = Literal["end_turn", "tool_use"]

LOREM = (  # noqa: SIM905
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt "
    "ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco "
    "laboris nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate "
    "velit esse cillum fugiat nulla pariatur excepteur sint occaecat cupidatat non proident "
    "sunt culpa qui officia deserunt mollit anim id est laborum"
).split()
DEFAULT_TEXT_WORDS = 20
MIDSTREAM_TEXT_CHUNKS = 3
ARGUMENT_PIECES = 3
TOOL_RESULT_REPLY = "The tool finished; here is the result you asked for."
TEXT_TOOL_SENTENCE = "I'll run that command for you."


@dataclass(frozen=True, slots=True)
class TextPart:
    """A text block, as the pieces a stream sends."""

    pieces: tuple[str, ...]

    @property
    def text(self) -> str:
        return "".join(self.pieces)


@dataclass(frozen=True, slots=True)
class ThinkingPart:
    """A thinking block (Anthropic only), as stream pieces, plus its signature."""

    pieces: tuple[str, ...]
    signature: str

    @property
    def thinking(self) -> str:
        return "".join(self.pieces)


@dataclass(frozen=True, slots=True)
class ToolCallPart:
    """A tool call: name, arguments object, and its JSON text split into stream pieces."""

    name: str
    arguments: dict[str, Any]
    pieces: tuple[str, ...]

    @property
    def arguments_json(self) -> str:
        return "".join(self.pieces)


Part = TextPart | ThinkingPart | ToolCallPart


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts: prompt, completion (all pieces), and the thinking share of completion."""

    input_tokens: int
    output_tokens: int
    reasoning_tokens: int = 0


@dataclass(frozen=True, slots=True)
class StreamFault:
    """An error sent inside a started stream, after the parts."""

    status: int
    message: str


@dataclass(frozen=True, slots=True)
class Script:
    """A whole reply."""

    parts: tuple[Part, ...]
    stop_reason: StopReason
    usage: Usage
    fault: StreamFault | None = None

    @property
    def piece_count(self) -> int:
        return sum(len(part.pieces) for part in self.parts)


def split_words(text: str, chunks: int | None = None) -> tuple[str, ...]:
    """Split text into word pieces (each keeps its leading whitespace), or into `chunks` groups."""
    words = re.findall(r"\s*\S+", text)
    rest = text[len("".join(words)) :]
    if not words:
        return (text,)
    words[-1] += rest
    if chunks is None or chunks >= len(words):
        return tuple(words)
    size, extra = divmod(len(words), chunks)
    pieces, start = [], 0
    for index in range(chunks):
        end = start + size + (1 if index < extra else 0)
        pieces.append("".join(words[start:end]))
        start = end
    return tuple(pieces)


def tool_call(name: str, arguments: dict[str, Any]) -> ToolCallPart:
    """A tool call whose JSON arguments are split into about `ARGUMENT_PIECES` pieces."""
    text = orjson.dumps(arguments).decode()
    step = max(1, -(-len(text) // ARGUMENT_PIECES))
    pieces = tuple(text[i : i + step] for i in range(0, len(text), step)) or ("",)
    return ToolCallPart(name=name, arguments=arguments, pieces=pieces)


def lorem(words: int) -> str:
    """Deterministic lorem-ipsum text of exactly `words` words."""
    text = " ".join(LOREM[i % len(LOREM)] for i in range(words))
    return text[:1].upper() + text[1:] + "."


def _echo_text(prompt: Prompt) -> str:
    return f"You said: {prompt.last_user_text}" if prompt.last_user_text else "You said nothing."


def _echo(spec: MockSpec, prompt: Prompt) -> list[Part]:
    return [TextPart(split_words(_echo_text(prompt), spec.chunks))]


def _text(spec: MockSpec, prompt: Prompt) -> list[Part]:
    return [TextPart(split_words(lorem(spec.chunks or DEFAULT_TEXT_WORDS)))]


def _bash(prompt: Prompt) -> ToolCallPart:
    return tool_call("Bash", {"command": prompt.last_user_text})


def _prefix(spec: MockSpec, default: str | None = None) -> list[Part]:
    text = spec.text if spec.text is not None else default
    return [TextPart(split_words(text, spec.chunks))] if text else []


def _tool(spec: MockSpec, prompt: Prompt) -> list[Part]:
    if spec.args is not None:
        arguments = spec.args
    elif spec.name == "Bash":
        arguments = {"command": prompt.last_user_text}
    else:
        arguments = {"input": prompt.last_user_text}
    return [*_prefix(spec), tool_call(spec.name, arguments)]


def _tools(spec: MockSpec, prompt: Prompt) -> list[Part]:
    return [*_prefix(spec), _bash(prompt), tool_call("Read", {"file_path": "README.md"})]


def _text_tool(spec: MockSpec, prompt: Prompt) -> list[Part]:
    return [*_prefix(spec, TEXT_TOOL_SENTENCE), _bash(prompt)]


def _thinking(spec: MockSpec, prompt: Prompt) -> list[Part]:
    said = prompt.last_user_text or "nothing"
    thought = f"The user wrote: {said!r}. I should answer by repeating it back to them."
    signature = base64.b64encode(os.urandom(96)).decode()
    return [ThinkingPart(split_words(thought), signature), *_echo(spec, prompt)]


def _midstream(spec: MockSpec, prompt: Prompt) -> list[Part]:
    return [TextPart(split_words(lorem(spec.chunks or MIDSTREAM_TEXT_CHUNKS)))]


def _judge(spec: MockSpec, prompt: Prompt) -> list[Part]:
    reply = judge_reply(prompt.conversation_text, p=spec.p, mode=spec.mode)
    return [TextPart(split_words(reply, spec.chunks))]


def _trusted(spec: MockSpec, prompt: Prompt) -> list[Part]:
    return [TextPart(split_words(trusted_reply(prompt.last_user_text), spec.chunks))]


def _agent(spec: MockSpec, prompt: Prompt) -> list[Part]:
    reply = agent_reply(prompt)
    parts: list[Part] = [TextPart(split_words(reply.text, spec.chunks))]
    if reply.call is not None:
        parts.append(tool_call(*reply.call))
    return parts


_BUILDERS: dict[str, Callable[[MockSpec, Prompt], list[Part]]] = {
    "echo": _echo,
    "text": _text,
    "tool": _tool,
    "tools": _tools,
    "text-tool": _text_tool,
    "thinking": _thinking,
    "midstream-error": _midstream,
    "judge": _judge,
    "agent": _agent,
    "trusted": _trusted,
}
_TOOL_BEHAVIOURS = frozenset({"tool", "tools", "text-tool"})


def build_script(spec: MockSpec, prompt: Prompt) -> Script:
    """The reply for a behaviour (`error` has no script: it is answered before any content)."""
    if spec.behaviour in _TOOL_BEHAVIOURS and prompt.ends_with_tool_result:
        parts: list[Part] = [TextPart(split_words(TOOL_RESULT_REPLY, spec.chunks))]
    else:
        parts = _BUILDERS[spec.behaviour](spec, prompt)
    stop: StopReason = "tool_use" if any(isinstance(p, ToolCallPart) for p in parts) else "end_turn"
    thinking = sum(len(p.pieces) for p in parts if isinstance(p, ThinkingPart))
    produced = sum(len(p.pieces) for p in parts)
    usage = Usage(
        input_tokens=spec.usage_in if spec.usage_in is not None else prompt.input_words,
        output_tokens=spec.usage_out if spec.usage_out is not None else produced,
        reasoning_tokens=thinking,
    )
    fault = None
    if spec.behaviour == "midstream-error":
        fault = StreamFault(status=spec.status or 500, message=spec.message or "")
    return Script(parts=tuple(parts), stop_reason=stop, usage=usage, fault=fault)
