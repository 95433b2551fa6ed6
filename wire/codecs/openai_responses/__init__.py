"""The OpenAI Responses wire format (`POST /v1/responses`).

Modules: `request` (body ↔ `Request`), `response` (non-streaming body ↔ events),
`stream_decoder` / `stream_encoder` (SSE ↔ events), `items` (output items from blocks),
`mapping` (statuses, usage, call items, tools).
"""

from __future__ import annotations

from typing import Any

from wire.codecs.openai_responses.request import decode_request, encode_request
from wire.codecs.openai_responses.response import decode_response, encode_response
from wire.codecs.openai_responses.stream_decoder import ResponsesStreamDecoder
from wire.codecs.openai_responses.stream_encoder import ResponsesStreamEncoder
from wire.neutral import Event, Request, WireFormat


class OpenAIResponsesCodec:
    """The `Codec` for the OpenAI Responses API (stateless; one shared instance)."""

    format: WireFormat = "responses"

    def decode_request(self, body: dict[str, Any]) -> Request:
        """Client JSON → neutral request; raises `InvalidRequest` for schema errors."""
        return decode_request(body)

    def encode_request(self, request: Request) -> dict[str, Any]:
        """Neutral request → JSON for a Responses upstream."""
        return encode_request(request)

    def decode_response(self, body: dict[str, Any]) -> list[Event]:
        """A complete response object → events."""
        return decode_response(body)

    def encode_response(self, events: list[Event]) -> dict[str, Any]:
        """Events → a complete response object."""
        return encode_response(events)

    def stream_decoder(self) -> ResponsesStreamDecoder:
        """A fresh decoder for one upstream stream."""
        return ResponsesStreamDecoder()

    def stream_encoder(self, request: Request) -> ResponsesStreamEncoder:
        """A fresh encoder for one client stream."""
        return ResponsesStreamEncoder(request)


RESPONSES_CODEC = OpenAIResponsesCodec()

__all__ = [
    "RESPONSES_CODEC",
    "OpenAIResponsesCodec",
    "ResponsesStreamDecoder",
    "ResponsesStreamEncoder",
]
