"""Test helpers: corpus loading, feeding SSE bytes in awkward splits, assembling blocks."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from wire.codecs.base import StreamDecoder
from wire.neutral import (
    BlockStart,
    Event,
    MessageEnd,
    OpaqueBlock,
    OpaqueDelta,
    StreamError,
    TextBlock,
    TextDelta,
    ToolArgsDelta,
    ToolCallBlock,
)
from wire.sse import SSEDecoder, SSEEvent

CORPUS = Path(__file__).parent / "corpus"


def corpus_files(fmt: str, kind: str, suffix: str) -> list[Path]:
    """Sorted corpus files of one format and kind ("requests", "responses", "streams")."""
    return sorted((CORPUS / fmt / kind).glob(f"*{suffix}"))


def load_json(path: Path) -> Any:
    """Parse a corpus JSON file."""
    return orjson.loads(path.read_bytes())


def stream_bytes(fmt: str, name: str) -> bytes:
    """The raw SSE bytes of a corpus stream."""
    return (CORPUS / fmt / "streams" / f"{name}.sse").read_bytes()


# --- splitting ---------------------------------------------------------------------------------


def whole(data: bytes) -> Iterator[bytes]:
    """The bytes in one piece."""
    yield data


def byte_by_byte(data: bytes) -> Iterator[bytes]:
    """One byte at a time."""
    for i in range(len(data)):
        yield data[i : i + 1]


def random_splits(seed: int) -> Callable[[bytes], Iterator[bytes]]:
    """Random piece sizes from 1 to 40 bytes, reproducible."""

    def split(data: bytes) -> Iterator[bytes]:
        rng = random.Random(seed)
        i = 0
        while i < len(data):
            step = rng.randint(1, 40)
            yield data[i : i + step]
            i += step

    return split


def crlf(splitter: Callable[[bytes], Iterator[bytes]]) -> Callable[[bytes], Iterator[bytes]]:
    """The same split after turning every LF into CRLF."""

    def split(data: bytes) -> Iterator[bytes]:
        return splitter(data.replace(b"\n", b"\r\n"))

    return split


SPLITTERS: dict[str, Callable[[bytes], Iterator[bytes]]] = {
    "whole": whole,
    "bytes": byte_by_byte,
    "random7": random_splits(7),
    "random1234": random_splits(1234),
    "crlf-bytes": crlf(byte_by_byte),
    "crlf-random": crlf(random_splits(99)),
}


def sse_events(data: bytes, splitter: Callable[[bytes], Iterator[bytes]] = whole) -> list[SSEEvent]:
    """All SSE events of `data` fed in pieces."""
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for piece in splitter(data):
        events += decoder.feed(piece)
    return events + decoder.flush()


def decode_stream(
    decoder: StreamDecoder,
    data: bytes,
    splitter: Callable[[bytes], Iterator[bytes]] = whole,
) -> list[Event]:
    """Neutral events of SSE `data`, fed through the SSE decoder in pieces, then `finish()`."""
    sse = SSEDecoder()
    events: list[Event] = []
    for piece in splitter(data):
        events += decoder.feed(sse.feed(piece))
    events += decoder.feed(sse.flush())
    return events + decoder.finish()


# --- assembling --------------------------------------------------------------------------------


@dataclass
class Built:
    """A block assembled from events, in comparable form."""

    kind: str
    text: str = ""
    name: str = ""
    id: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    """What a response amounts to: blocks, stop reason, usage counts, errors."""

    blocks: list[Built]
    stop_reason: str | None
    input_tokens: int | None
    output_tokens: int | None
    errors: list[StreamError]


def assemble_blocks(events: list[Event]) -> Outcome:
    """Assemble events the simplest possible way (independent of the codecs' own assembly)."""
    by_index: dict[int, Built] = {}
    blocks: list[Built] = []
    end: MessageEnd | None = None
    errors: list[StreamError] = []
    for event in events:
        if isinstance(event, BlockStart):
            block = event.block
            if isinstance(block, TextBlock):
                built = Built("text", block.text, raw=dict(block.extra))
            elif isinstance(block, ToolCallBlock):
                built = Built("tool_call", block.arguments, block.name, block.id)
            elif isinstance(block, OpaqueBlock):
                built = Built("opaque", raw=dict(block.raw))
            else:
                built = Built(block.kind)
            by_index[event.index] = built
            blocks.append(built)
        elif isinstance(event, TextDelta):
            by_index[event.index].text += event.text
        elif isinstance(event, ToolArgsDelta):
            by_index[event.index].text += event.partial_json
        elif isinstance(event, OpaqueDelta):
            _apply_opaque(by_index[event.index], event.raw)
        elif isinstance(event, MessageEnd):
            end = event
        elif isinstance(event, StreamError):
            errors.append(event)
    for built in blocks:
        if built.kind == "tool_call":
            built.text = _normalized_json(built.text)
        if built.kind == "opaque" and "_json" in built.raw:
            built.raw["input"] = orjson.loads(built.raw.pop("_json") or "{}")
    usage = end.usage if end else None
    return Outcome(
        blocks,
        end.stop_reason if end else None,
        usage.input_tokens if usage else None,
        usage.output_tokens if usage else None,
        errors,
    )


def _apply_opaque(built: Built, delta: dict[str, Any]) -> None:
    kind = delta.get("type")
    if kind == "thinking_delta":
        built.raw["thinking"] = built.raw.get("thinking", "") + delta["thinking"]
    elif kind == "signature_delta":
        built.raw["signature"] = delta["signature"]
    elif kind == "citations_delta":
        built.raw["citations"] = [*(built.raw.get("citations") or []), delta["citation"]]
    elif kind == "input_json_delta":
        built.raw["_json"] = built.raw.get("_json", "") + delta["partial_json"]


def _normalized_json(text: str) -> str:
    """Compact JSON text of `text` (kept as is when it is not JSON, e.g. a cut-off call)."""
    try:
        return orjson.dumps(orjson.loads(text or "{}")).decode()
    except orjson.JSONDecodeError:
        return text
