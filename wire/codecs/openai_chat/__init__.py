"""The OpenAI Chat Completions wire format (`POST /v1/chat/completions`).

Modules: `request` (body ↔ `Request`), `response` (non-streaming body ↔ events),
`stream_decoder` / `stream_encoder` (SSE ↔ events), `mapping` (finish reasons, usage, tools).
"""

from __future__ import annotations

from typing import Any

from wire.codecs.openai_chat.request import decode_request, encode_request
from wire.codecs.openai_chat.response import decode_response, encode_response
from wire.codecs.openai_chat.stream_decoder import OpenAIStreamDecoder
from wire.codecs.openai_chat.stream_encoder import OpenAIStreamEncoder
from wire.neutral import Event, Request, WireFormat


class OpenAIChatCodec:
    """The `Codec` for OpenAI Chat Completions (stateless; one shared instance)."""

    format: WireFormat = "openai"

    def decode_request(self, body: dict[str, Any]) -> Request:
        """Client JSON → neutral request; raises `InvalidRequest` for schema errors."""
        return decode_request(body)

    def encode_request(self, request: Request) -> dict[str, Any]:
        """Neutral request → JSON for an OpenAI-compatible upstream."""
        return encode_request(request)

    def decode_response(self, body: dict[str, Any]) -> list[Event]:
        """A complete response body → events."""
        return decode_response(body)

    def encode_response(self, events: list[Event]) -> dict[str, Any]:
        """Events → a complete response body."""
        return encode_response(events)

    def stream_decoder(self) -> OpenAIStreamDecoder:
        """A fresh decoder for one upstream stream."""
        return OpenAIStreamDecoder()

    def stream_encoder(self, request: Request) -> OpenAIStreamEncoder:
        """A fresh encoder for one client stream (`request` tells `include_usage`)."""
        return OpenAIStreamEncoder(request)


OPENAI_CODEC = OpenAIChatCodec()

__all__ = ["OPENAI_CODEC", "OpenAIChatCodec", "OpenAIStreamDecoder", "OpenAIStreamEncoder"]
