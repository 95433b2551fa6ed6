"""Neutral events → OpenAI Chat Completions SSE bytes, chunk for chunk like OpenAI sends them.

Every chunk is `data: {"id","object":"chat.completion.chunk","created","model", <the upstream's
other chunk-level fields>,"choices":[{"index":0,"delta":…,"logprobs":null,"finish_reason":null}]
[,"usage":null]}`; the constant parts are built once at `MessageStart`. The first chunk carries the
upstream's first delta shape when it came from an OpenAI stream, else
`{"role":"assistant","content":"","refusal":null}`; the first chunk's other choice fields (a
router's `native_finish_reason: null`, …) are repeated on every chunk. Tool calls are numbered 0, 1,
… in output order whatever the block indexes are. `MessageEnd` sends the finish chunk (with the
upstream's other finish-choice fields), then — only if the client asked
`stream_options.include_usage` — the usage chunk (`choices: []`); `finish()` sends `data: [DONE]`.
Opaque blocks and non-OpenAI opaque events are not sent. `KeepAlive` is an SSE comment line
(`: keep-alive`), which SSE clients ignore.
"""

from __future__ import annotations

import time
from typing import Any, Final

import orjson

from wire.codecs.common import MISSING
from wire.codecs.openai_chat.mapping import (
    FINISH_CHOICE,
    FIRST_CHOICE,
    LEGACY_FUNCTION_CALL,
    finish_from_stop,
    usage_to_openai,
)
from wire.errors import render_stream_error
from wire.neutral import (
    BlockStart,
    Event,
    KeepAlive,
    MessageEnd,
    MessageStart,
    OpaqueEvent,
    Request,
    StreamError,
    TextBlock,
    TextDelta,
    ToolArgsDelta,
    ToolCallBlock,
)

_DONE: Final = b"data: [DONE]\n\n"
_KEEP_ALIVE: Final = b": keep-alive\n\n"
_FIRST_DELTA: Final = b'{"role":"assistant","content":"","refusal":null}'
_ECHOED_MESSAGE_KEYS: Final = frozenset({"role", "content", "tool_calls"})
_WRITTEN_CHOICE_KEYS: Final = frozenset({"index", "delta", "logprobs", "finish_reason"})
_OWN_TOP_KEYS: Final = frozenset({"id", "object", "created", "model", FIRST_CHOICE})
_dumps = orjson.dumps


class OpenAIStreamEncoder:
    """One client stream's encoder (see module docstring)."""

    __slots__ = (
        "_calls",
        "_choice_extra",
        "_close",
        "_head",
        "_include_usage",
        "_model",
        "_open",
        "_tail",
        "_tools",
    )

    def __init__(self, request: Request) -> None:
        options = request.params.get("stream_options")
        self._include_usage = isinstance(options, dict) and options.get("include_usage") is True
        self._model = request.model
        self._head = b""
        self._open = b""
        self._close = b""
        self._tail = b""
        # block index → (delta bytes before the arguments value, after it)
        self._tools: dict[int, tuple[bytes, bytes]] = {}
        self._calls = 0  # tool calls sent so far: the next `tool_calls[].index`
        self._choice_extra = b""  # `,"key":value…` of the upstream's own choice fields

    def encode(self, events: list[Event]) -> bytes:
        """SSE bytes for a batch of events."""
        out: list[bytes] = []
        for event in events:
            if isinstance(event, KeepAlive):
                out.append(_KEEP_ALIVE)
                continue
            if not self._open and not isinstance(event, (MessageStart, StreamError)):
                self._start(MessageStart("chatcmpl-luthien", self._model), out)
            if isinstance(event, TextDelta):
                if event.text:
                    out.append(self._chunk(b'{"content":' + _dumps(event.text) + b"}"))
            elif isinstance(event, ToolArgsDelta):
                frame = self._tools.get(event.index)
                if frame is not None and event.partial_json:
                    out.append(self._chunk(frame[0] + _dumps(event.partial_json) + frame[1]))
            elif isinstance(event, BlockStart):
                self._block_start(event, out)
            elif isinstance(event, MessageStart):
                self._start(event, out)
            elif isinstance(event, MessageEnd):
                self._end(event, out)
            elif isinstance(event, OpaqueEvent):
                self._opaque(event, out)
            elif isinstance(event, StreamError):
                out.append(render_stream_error("openai", event.error_type, event.message))
        return b"".join(out)

    def finish(self) -> bytes:
        """The terminator, `data: [DONE]`."""
        return _DONE

    def _chunk(self, delta: bytes) -> bytes:
        return self._open + delta + self._close

    def _chunk_with(
        self, delta: bytes, logprobs: bytes, finish: bytes, choice_extra: bytes = b""
    ) -> bytes:
        return (
            self._open
            + delta
            + b',"logprobs":'
            + logprobs
            + b',"finish_reason":'
            + finish
            + choice_extra
            + b"}]"
            + self._tail
        )

    def _start(self, event: MessageStart, out: list[bytes]) -> None:
        extra = event.extra
        created = extra.get("created")
        top: dict[str, Any] = {
            "id": event.id,
            "object": "chat.completion.chunk",
            "created": created if isinstance(created, int) else int(time.time()),
            "model": event.model,
        }
        if extra.get("type") != "message":  # else the extra came from an Anthropic message
            for key, value in extra.items():
                if key not in _OWN_TOP_KEYS:
                    top[key] = value
        self._head = b"data: " + _dumps(top)[:-1]
        self._open = self._head + b',"choices":[{"index":0,"delta":'
        self._tail = b',"usage":null}\n\n' if self._include_usage else b"}\n\n"
        first = extra.get(FIRST_CHOICE) if extra.get("type") != "message" else None
        delta = first.get("delta") if isinstance(first, dict) else None
        self._choice_extra = _choice_fields(first if isinstance(first, dict) else {})
        self._close = (
            b',"logprobs":null,"finish_reason":null' + self._choice_extra + b"}]" + self._tail
        )
        first_bytes = _dumps(delta) if isinstance(delta, dict) else _FIRST_DELTA
        out.append(self._open + first_bytes + self._close)

    def _block_start(self, event: BlockStart, out: list[bytes]) -> None:
        block = event.block
        if isinstance(block, TextBlock):
            if block.text:
                out.append(self._chunk(b'{"content":' + _dumps(block.text) + b"}"))
            return
        if not isinstance(block, ToolCallBlock):
            return
        kind = block.extra.get("type", "function")
        if kind == LEGACY_FUNCTION_CALL:
            self._tools[event.index] = (b'{"function_call":{"arguments":', b"}}")
            legacy = {"function_call": {"name": block.name, "arguments": block.arguments}}
            out.append(self._chunk(_dumps(legacy)))
            return
        number = self._calls
        self._calls += 1
        container, args_key = ("custom", "input") if kind == "custom" else ("function", "arguments")
        first = {
            "index": number,
            "id": block.id,
            "type": kind,
            container: {"name": block.name, args_key: block.arguments},
        }
        prefix = b'{"tool_calls":[{"index":%d,"%s":{"%s":' % (
            number,
            container.encode(),
            args_key.encode(),
        )
        self._tools[event.index] = (prefix, b"}}]}")
        out.append(self._chunk(b'{"tool_calls":[' + _dumps(first) + b"]}"))

    def _opaque(self, event: OpaqueEvent, out: list[bytes]) -> None:
        raw = event.raw
        if event.name is not None or ("delta" not in raw and "logprobs" not in raw):
            return
        delta = raw.get("delta")
        delta_bytes = _dumps(delta if isinstance(delta, dict) else {})
        logprobs = _dumps(raw.get("logprobs"))
        out.append(self._chunk_with(delta_bytes, logprobs, b"null", self._choice_extra))

    def _end(self, event: MessageEnd, out: list[bytes]) -> None:
        message = event.extra.get("message")
        if isinstance(message, dict):
            leftover = {
                k: v
                for k, v in message.items()
                if k not in _ECHOED_MESSAGE_KEYS and v is not None and v != [] and v != ""
            }
            if leftover:
                out.append(self._chunk(_dumps(leftover)))
        finish = finish_from_stop(
            event.stop_reason,
            event.extra.get("finish_reason", MISSING),
            has_tool_calls=bool(self._tools),
        )
        choice = event.extra.get(FINISH_CHOICE)
        extra = _choice_fields(choice) if isinstance(choice, dict) else self._choice_extra
        out.append(self._chunk_with(b"{}", b"null", _dumps(finish), extra))
        if self._include_usage and event.usage is not None:
            usage = _dumps(usage_to_openai(event.usage))
            out.append(self._head + b',"choices":[],"usage":' + usage + b"}\n\n")


def _choice_fields(choice: dict[str, Any]) -> bytes:
    """`,"key":value…` for a choice's own fields beyond the ones the encoder writes."""
    own = {k: v for k, v in choice.items() if k not in _WRITTEN_CHOICE_KEYS}
    return b"," + _dumps(own)[1:-1] if own else b""
