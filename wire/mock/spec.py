"""Parse a mock model name into a typed `MockSpec`.

Grammar: ``[mock/]<behaviour>[?<option>=<value>[&<option>=<value>...]]``; the behaviour is
case-insensitive, ``mock``, ``mock/`` and the empty string mean ``echo``. Option values are
URL-decoded (``args=%7B%22path%22%3A%22a%22%7D``). An unknown behaviour raises
`MockSpecError` with status 404; an unknown option or a bad value raises it with status 400.

    behaviour        reply
    echo             "You said: <last user text>" (default)
    text             `chunks` (20) lorem words
    tool             [text] + one tool call `name` (Bash) with arguments `args`, else Bash
                     {"command": <last user text>}, others {"input": <last user text>}
    tools            [text] + Bash {"command": <last user text>} + Read {"file_path": "README.md"}
    text-tool        a sentence (or `text`) + Bash {"command": <last user text>}
    thinking         Anthropic: thinking block (+ signature) then the echo text; Responses: a
                     reasoning item (summary, `encrypted_content` if included) then the text;
                     Chat Completions: the text
    error            HTTP `status` (500) with the format's error body
    midstream-error  `chunks` (3) text pieces then an in-stream error of `status` (500)
    judge            {"probability": p, "explanation": ...} dressed per `mode`
    agent            drives a coding agent: a ``RUN: <command>`` line in the latest user text
                     -> a call of the request's own shell tool; a tool result -> a text
                     quoting it; else "You said: ..." (see `wire.mock.agent`)
    trusted          the trusted model of `monitor`: edited arguments for an edit request,
                     else a fixed safe answer (see `wire.mock.trusted`)

    option       type / range            meaning
    chunks       int >= 1                stream pieces (text: word count)
    ttfb_ms      float >= 0              wait before the response headers
    delay_ms     float >= 0              wait between stream events (non-stream: x pieces)
    abort_after  int >= 0                drop the connection after N events
    usage_in     int >= 0                prompt tokens reported
    usage_out    int >= 0                completion tokens reported
    status       int 400..599            error / midstream-error status
    message      str                     error message (default: the format's usual text)
    name         str                     tool: the tool name
    args         JSON object             tool: the arguments
    text         str                     tool, tools, text-tool: text before the tool calls
    p            float 0..1              judge: fixed probability
    mode         plain|fenced|prose|string|garbage   judge: how the verdict is written
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args
from urllib.parse import parse_qsl

import orjson

from wire.mock.errors import MockSpecError

Behaviour = Literal[
    "echo",
    "text",
    "tool",
    "tools",
    "text-tool",
    "thinking",
    "error",
    "midstream-error",
    "judge",
    "agent",
    "trusted",
]
JudgeMode = Literal["plain", "fenced", "prose", "string", "garbage"]

BEHAVIOURS: tuple[Behaviour, ...] = get_args(Behaviour)
JUDGE_MODES: tuple[JudgeMode, ...] = get_args(JudgeMode)
PREFIX = "mock/"


@dataclass(frozen=True, slots=True)
class MockSpec:
    """What the mock should answer: a behaviour and its options (see the module grammar)."""

    behaviour: Behaviour = "echo"
    chunks: int | None = None
    ttfb_ms: float = 0.0
    delay_ms: float = 0.0
    abort_after: int | None = None
    usage_in: int | None = None
    usage_out: int | None = None
    status: int | None = None
    message: str | None = None
    name: str = "Bash"
    args: dict[str, Any] | None = field(default=None, hash=False)
    text: str | None = None
    p: float | None = None
    mode: JudgeMode = "plain"


def _int(low: int, high: int) -> Callable[[str], int]:
    def convert(raw: str) -> int:
        value = int(raw)
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value

    return convert


def _float(low: float, high: float) -> Callable[[str], float]:
    def convert(raw: str) -> float:
        value = float(raw)
        if not low <= value <= high:
            raise ValueError(f"must be between {low:g} and {high:g}")
        return value

    return convert


def _json_object(raw: str) -> dict[str, Any]:
    value = orjson.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object")
    return value


def _mode(raw: str) -> JudgeMode:
    if raw not in JUDGE_MODES:
        raise ValueError(f"must be one of {', '.join(JUDGE_MODES)}")
    return cast(JudgeMode, raw)


def _nonempty(raw: str) -> str:
    if not raw:
        raise ValueError("must not be empty")
    return raw


_OPTIONS: dict[str, Callable[[str], Any]] = {
    "chunks": _int(1, 1_000_000),
    "ttfb_ms": _float(0, 600_000),
    "delay_ms": _float(0, 600_000),
    "abort_after": _int(0, 1_000_000),
    "usage_in": _int(0, 10_000_000),
    "usage_out": _int(0, 10_000_000),
    "status": _int(400, 599),
    "message": _nonempty,
    "name": _nonempty,
    "args": _json_object,
    "text": str,
    "p": _float(0.0, 1.0),
    "mode": _mode,
}
OPTION_NAMES: tuple[str, ...] = tuple(_OPTIONS)


def parse_model(model: str | None) -> MockSpec:
    """Turn a model name such as ``mock/text?chunks=50&delay_ms=5`` into a `MockSpec`."""
    raw = (model or "").strip()
    name, _, query = raw.partition("?")
    name = name.strip().lower()
    if name.startswith(PREFIX):
        name = name[len(PREFIX) :]
    if name in ("", "mock"):
        name = "echo"
    if name not in BEHAVIOURS:
        raise MockSpecError(
            f"model: {raw!r} is not a mock model (unknown behaviour {name!r}; "
            f"known: {', '.join(BEHAVIOURS)})",
            status=404,
            code="model_not_found",
        )
    return MockSpec(behaviour=cast(Behaviour, name), **_parse_options(raw, query))


def _parse_options(model: str, query: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        convert = _OPTIONS.get(key)
        if convert is None:
            raise MockSpecError(
                f"model {model!r}: unknown option {key!r} (known: {', '.join(OPTION_NAMES)})"
            )
        try:
            options[key] = convert(value)
        except (ValueError, orjson.JSONDecodeError) as exc:
            raise MockSpecError(f"model {model!r}: invalid {key}={value!r}: {exc}") from exc
    return options
