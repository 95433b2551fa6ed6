"""The Anthropic Messages wire format (`POST /v1/messages`).

Modules: `request` (body ↔ `Request`), `response` (non-streaming body ↔ events),
`stream_decoder` / `stream_encoder` (SSE ↔ events), `mapping` (blocks, tools, usage, stop reasons).
"""

from __future__ import annotations

from wire.codecs.anthropic_messages.request import decode_request, encode_request
from wire.codecs.anthropic_messages.response import decode_response, encode_response
from wire.codecs.anthropic_messages.stream_decoder import AnthropicStreamDecoder
from wire.codecs.anthropic_messages.stream_encoder import AnthropicStreamEncoder
from wire.codecs.base import Codec

ANTHROPIC_CODEC = Codec(
    format="anthropic",
    decode_request=decode_request,
    encode_request=encode_request,
    decode_response=decode_response,
    encode_response=encode_response,
    stream_decoder=AnthropicStreamDecoder,
    stream_encoder=AnthropicStreamEncoder,
)

__all__ = [
    "ANTHROPIC_CODEC",
    "AnthropicStreamDecoder",
    "AnthropicStreamEncoder",
]
