"""What a wire-format codec provides: request, response and stream translation to neutral form.

A codec is stateless; stream translation uses small stateful decoder/encoder objects, one per
response. Same-format traffic must round-trip: `encode_request(decode_request(body)) == body`
and `encode_response(decode_response(body)) == body` for an untouched payload.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from wire.neutral import Event, Request, WireFormat
from wire.sse import SSEEvent


class StreamDecoder(Protocol):
    """Turns the upstream's SSE events into neutral events (one instance per response)."""

    def feed(self, events: list[SSEEvent]) -> list[Event]:
        """Translate a batch of SSE events; may return fewer or more neutral events."""
        ...

    def finish(self) -> list[Event]:
        """End of the upstream stream: whatever is still pending."""
        ...


class StreamEncoder(Protocol):
    """Turns neutral events into the client's SSE bytes (one instance per response)."""

    def encode(self, events: list[Event]) -> bytes:
        """SSE bytes for a batch of events (b"" when nothing is to be sent yet)."""
        ...

    def finish(self) -> bytes:
        """The stream terminator (`data: [DONE]` for OpenAI; nothing extra for Anthropic)."""
        ...


@dataclass(frozen=True, slots=True)
class Codec:
    """One wire format: its six translations to and from neutral form (stateless; one shared
    instance per format, built in each format's package from its modules)."""

    format: WireFormat
    #: Client JSON → neutral request. Raises `InvalidRequest` for schema errors.
    decode_request: Callable[[dict[str, Any]], Request]
    #: Neutral request → JSON for an upstream of this format.
    encode_request: Callable[[Request], dict[str, Any]]
    #: A complete (non-streaming) response → the same events a stream would give.
    decode_response: Callable[[dict[str, Any]], list[Event]]
    #: Events → a complete (non-streaming) response body.
    encode_response: Callable[[list[Event]], dict[str, Any]]
    #: A fresh decoder for one upstream stream.
    stream_decoder: Callable[[], StreamDecoder]
    #: A fresh encoder for one client stream (the request tells e.g. `include_usage`).
    stream_encoder: Callable[[Request], StreamEncoder]
