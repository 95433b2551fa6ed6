"""The Anthropic Messages wire format (`POST /v1/messages`).

Modules: `request` (body ↔ `Request`), `response` (non-streaming body ↔ events),
`stream_decoder` / `stream_encoder` (SSE ↔ events), `mapping` (blocks, tools, usage, stop reasons).
"""

from __future__ import annotations

from typing import Any

from wire.codecs.anthropic_messages.request import decode_request, encode_request
from wire.codecs.anthropic_messages.response import decode_response, encode_response
from wire.codecs.anthropic_messages.stream_decoder import AnthropicStreamDecoder
from wire.codecs.anthropic_messages.stream_encoder import AnthropicStreamEncoder
from wire.neutral import Event, Request, WireFormat


class AnthropicMessagesCodec:
    """The `Codec` for Anthropic Messages (stateless; one shared instance)."""

    format: WireFormat = "anthropic"

    def decode_request(self, body: dict[str, Any]) -> Request:
        """Client JSON → neutral request; raises `InvalidRequest` for schema errors."""
        return decode_request(body)

    def encode_request(self, request: Request) -> dict[str, Any]:
        """Neutral request → JSON for an Anthropic-compatible upstream."""
        return encode_request(request)

    def decode_response(self, body: dict[str, Any]) -> list[Event]:
        """A complete response body → events."""
        return decode_response(body)

    def encode_response(self, events: list[Event]) -> dict[str, Any]:
        """Events → a complete response body."""
        return encode_response(events)

    def stream_decoder(self) -> AnthropicStreamDecoder:
        """A fresh decoder for one upstream stream."""
        return AnthropicStreamDecoder()

    def stream_encoder(self, request: Request) -> AnthropicStreamEncoder:
        """A fresh encoder for one client stream."""
        return AnthropicStreamEncoder(request)


ANTHROPIC_CODEC = AnthropicMessagesCodec()

__all__ = [
    "ANTHROPIC_CODEC",
    "AnthropicMessagesCodec",
    "AnthropicStreamDecoder",
    "AnthropicStreamEncoder",
]
