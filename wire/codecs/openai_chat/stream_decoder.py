"""OpenAI Chat Completions SSE chunks → neutral events.

- The first chunk gives `MessageStart` (extra: `created`, `object`, `system_fingerprint`,
  `service_tier` and any other chunk-level field such as a router's `provider`, which the encoder
  repeats on every chunk; the per-chunk `obfuscation` padding and `usage: null` are dropped).
  The first chunk's choice, its delta without text and tool calls (e.g. `{"role": "assistant",
  "content": null}`), is kept in `extra[FIRST_CHOICE]` so the encoder opens the stream the same
  way and repeats the choice's other fields (e.g. `native_finish_reason: null`) on every chunk.
- `delta.content` streams into a text block (empty strings open nothing).
- `delta.tool_calls[]` (and a legacy `delta.function_call`, as a `ToolCallBlock` whose extra
  type is "function_call", so policies see it): the first tool call streams live (BlockStart,
  ToolArgsDelta…); tool calls that appear while it is open are collected and emitted whole when
  the tool-call section ends (text arrives, `finish_reason`, `[DONE]` or `finish()`). This keeps
  blocks sequential even if an upstream interleaves tool calls by index. A delta for a tool call
  already closed is dropped.
- Other delta fields (`refusal`, `reasoning_content`, `audio`, …) and `logprobs` → `OpaqueEvent`
  with raw `{"delta": {...}, "logprobs": ...}`.
- `finish_reason` closes open blocks and is remembered with the finish choice's other fields
  (e.g. `native_finish_reason`, in `MessageEnd.extra[FINISH_CHOICE]`); `usage` (usually a last
  chunk with `choices: []`, after `finish_reason`) is remembered; `MessageEnd` is emitted at
  `[DONE]` or `finish()` so that the usage lands in it.
- `{"error": …}` → `StreamError`, after which the decoder is silent.
Only choice 0 is read: requests asking for `n` > 1 are refused before they reach the upstream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from wire.codecs.common import as_int, rest, stream_error, unreadable_chunk
from wire.codecs.openai_chat.mapping import (
    FINISH_CHOICE,
    FIRST_CHOICE,
    LEGACY_FUNCTION_CALL,
    stop_reason_from_finish,
    tool_call_from_wire,
    usage_from_openai,
)
from wire.neutral import (
    BlockStart,
    BlockStop,
    Event,
    MessageEnd,
    MessageStart,
    OpaqueEvent,
    TextBlock,
    TextDelta,
    ToolArgsDelta,
    ToolCallBlock,
    Usage,
)
from wire.sse import SSEEvent

_START_DROPPED: Final = ("id", "model", "choices", "usage", "obfuscation")
_DELTA_LIFTED: Final = frozenset({"role", "content", "tool_calls", "function_call"})
_DELTA_DATA: Final = ("content", "tool_calls", "function_call")
_CHOICE_LIFTED: Final = ("index", "delta", "logprobs", "finish_reason")
_LEGACY_INDEX: Final = -1  # the tool index given to a legacy `function_call`


def _pieces() -> list[str]:
    return []


@dataclass(slots=True)
class _HeldCall:
    """A tool call collected while another one streams."""

    block: ToolCallBlock
    arguments: list[str] = field(default_factory=_pieces)


class OpenAIStreamDecoder:
    """One upstream stream's decoder (see module docstring)."""

    __slots__ = (
        "_closed",
        "_done",
        "_finish",
        "_finish_choice",
        "_held",
        "_live",
        "_next",
        "_started",
        "_text",
        "_usage",
    )

    def __init__(self) -> None:
        self._started = False
        self._done = False
        self._next = 0
        self._text: int | None = None
        self._live: tuple[int, int] | None = None  # (OpenAI tool index, block index)
        self._held: dict[int, _HeldCall] = {}
        self._closed: set[int] = set()
        self._finish: list[Any] = []  # [finish_reason] once seen
        self._finish_choice: dict[str, Any] = {}
        self._usage: Usage | None = None

    def feed(self, events: list[SSEEvent]) -> list[Event]:
        """Translate a batch of SSE events."""
        out: list[Event] = []
        for sse in events:
            if self._done:
                break
            data = sse.data
            if data.startswith("[DONE]"):
                self._end(out)
                continue
            if not data:
                continue
            try:
                chunk = orjson.loads(data)
            except orjson.JSONDecodeError:
                out.append(unreadable_chunk(data))
                self._done = True
                continue
            if not isinstance(chunk, dict):
                continue
            if chunk.get("error") is not None and ("choices" not in chunk or sse.event == "error"):
                out.append(stream_error(chunk["error"], default_type="server_error"))
                self._done = True
                continue
            self._chunk(chunk, out)
        return out

    def finish(self) -> list[Event]:
        """End of the upstream stream: close what is open, emit `MessageEnd` if missing."""
        out: list[Event] = []
        self._end(out)
        return out

    def _chunk(self, chunk: dict[str, Any], out: list[Event]) -> None:
        if not self._started:
            self._started = True
            extra = rest(chunk, _START_DROPPED)
            first = _first_choice(chunk.get("choices"))
            if first is not None:
                extra[FIRST_CHOICE] = first
            out.append(
                MessageStart(str(chunk.get("id", "")), str(chunk.get("model", "")), None, extra)
            )
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self._usage = usage_from_openai(usage)
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            return
        for choice in choices:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta")
            if isinstance(delta, dict):
                self._delta(delta, choice.get("logprobs"), out)
            finish = choice.get("finish_reason")
            if finish is not None:
                self._close_all(out)
                self._finish = [finish]
                self._finish_choice = rest(choice, _CHOICE_LIFTED)

    def _delta(self, delta: dict[str, Any], logprobs: Any, out: list[Event]) -> None:
        content = delta.get("content")
        if isinstance(content, str) and content:
            if self._live is not None:
                self._flush_tools(out)
            if self._text is None:
                self._text = self._open(TextBlock(), out)
            out.append(TextDelta(self._text, content))
        calls = delta.get("tool_calls")
        if isinstance(calls, list):
            for position, call in enumerate(calls):
                if isinstance(call, dict):
                    self._tool_call(call, position, out)
        legacy = delta.get("function_call")
        if isinstance(legacy, dict):
            call = {"index": _LEGACY_INDEX, "type": LEGACY_FUNCTION_CALL, "function": legacy}
            self._tool_call(call, _LEGACY_INDEX, out)
        other = {
            k: v for k, v in delta.items() if k not in _DELTA_LIFTED and v is not None and v != ""
        }
        if other or logprobs is not None:
            raw: dict[str, Any] = {"delta": other}
            if logprobs is not None:
                raw["logprobs"] = logprobs
            out.append(OpaqueEvent(raw))

    def _tool_call(self, call: dict[str, Any], position: int, out: list[Event]) -> None:
        index = as_int(call.get("index"))
        index = position if index is None else index
        arguments = _arguments_of(call)
        if self._live is not None and self._live[0] == index:
            if arguments:
                out.append(ToolArgsDelta(self._live[1], arguments))
            return
        held = self._held.get(index)
        if held is not None:
            _update_held(held, call, arguments)
            return
        if index in self._closed:
            return
        block = tool_call_from_wire(rest(call, ("index",)))
        block.arguments = ""
        if self._live is None:
            if self._text is not None:
                out.append(BlockStop(self._text))
                self._text = None
            self._live = (index, self._open(block, out))
            if arguments:
                out.append(ToolArgsDelta(self._live[1], arguments))
        else:
            self._held[index] = _HeldCall(block, [arguments] if arguments else [])

    def _open(self, block: TextBlock | ToolCallBlock, out: list[Event]) -> int:
        index = self._next
        self._next += 1
        out.append(BlockStart(index, block))
        return index

    def _flush_tools(self, out: list[Event]) -> None:
        if self._live is not None:
            out.append(BlockStop(self._live[1]))
            self._closed.add(self._live[0])
            self._live = None
        for tool_index, held in self._held.items():
            block_index = self._open(held.block, out)
            if held.arguments:
                out.append(ToolArgsDelta(block_index, "".join(held.arguments)))
            out.append(BlockStop(block_index))
            self._closed.add(tool_index)
        self._held.clear()

    def _close_all(self, out: list[Event]) -> None:
        if self._text is not None:
            out.append(BlockStop(self._text))
            self._text = None
        self._flush_tools(out)

    def _end(self, out: list[Event]) -> None:
        if self._done or not self._started:
            self._done = True
            return
        self._done = True
        self._close_all(out)
        extra: dict[str, Any] = {"finish_reason": self._finish[0]} if self._finish else {}
        if self._finish_choice:
            extra[FINISH_CHOICE] = self._finish_choice
        stop_reason = stop_reason_from_finish(self._finish[0]) if self._finish else None
        out.append(MessageEnd(stop_reason, None, self._usage, extra))


def _first_choice(choices: Any) -> dict[str, Any] | None:
    """Choice 0 of the first chunk: its other fields and its delta's shape (role, null content…),
    without the text and tool calls the decoder turns into events."""
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    choice = choices[0]
    delta = choice.get("delta")
    if not isinstance(delta, dict):
        return None
    shape = {k: v for k, v in delta.items() if k not in _DELTA_DATA or v is None or v in ("", [])}
    return {"delta": shape, **rest(choice, _CHOICE_LIFTED)}


def _update_held(held: _HeldCall, call: dict[str, Any], arguments: str) -> None:
    """Later pieces of a held tool call: id and name may arrive late, arguments accumulate."""
    if isinstance(call.get("id"), str) and not held.block.id:
        held.block.id = call["id"]
    inner = call.get("function") or call.get("custom")
    if isinstance(inner, dict) and isinstance(inner.get("name"), str) and not held.block.name:
        held.block.name = inner["name"]
    if arguments:
        held.arguments.append(arguments)


def _arguments_of(call: dict[str, Any]) -> str:
    """The argument text piece of a tool-call delta (`function.arguments` or `custom.input`)."""
    inner = call.get("function")
    if isinstance(inner, dict):
        value = inner.get("arguments")
    else:
        inner = call.get("custom")
        value = inner.get("input") if isinstance(inner, dict) else None
    return value if isinstance(value, str) else ""
