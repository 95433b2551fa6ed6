"""Incremental Server-Sent Events decoder: feed bytes in any split, get complete events out.

No I/O: `feed(chunk)` returns the events completed by that chunk, `flush()` returns a trailing
event that had no blank line after it. Handles CRLF/CR/LF line endings split anywhere, multi-line
`data:` fields, comments (`:` lines) and fields without a value.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class SSEEvent:
    """One SSE event: the `event:` name (None if absent) and the joined `data:` lines."""

    event: str | None
    data: str


class SSEDecoder:
    """Turns a byte stream into `SSEEvent`s; keeps partial lines between calls."""

    __slots__ = ("_buffer", "_data", "_event", "_pending_cr")

    def __init__(self) -> None:
        self._buffer = b""
        self._event: str | None = None
        self._data: list[str] = []
        self._pending_cr = False

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Add bytes; return every event they complete."""
        if not chunk:
            return []
        if self._pending_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        self._pending_cr = chunk.endswith(b"\r")
        buffer = self._buffer + chunk
        if b"\r" in buffer:
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = buffer.split(b"\n")
        self._buffer = lines.pop()
        events: list[SSEEvent] = []
        for line in lines:
            event = self._line(line.decode("utf-8", errors="replace"))
            if event is not None:
                events.append(event)
        return events

    def flush(self) -> list[SSEEvent]:
        """End of stream: return the last event if it was not terminated by a blank line."""
        events: list[SSEEvent] = []
        if self._buffer:
            event = self._line(self._buffer.decode("utf-8", errors="replace"))
            self._buffer = b""
            if event is not None:
                events.append(event)
        if self._data or self._event is not None:
            events.append(SSEEvent(self._event, "\n".join(self._data)))
            self._event, self._data = None, []
        return events

    def _line(self, line: str) -> SSEEvent | None:
        if not line:
            if not self._data and self._event is None:
                return None
            event = SSEEvent(self._event, "\n".join(self._data))
            self._event, self._data = None, []
            return event
        if line[0] == ":":
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        return None
