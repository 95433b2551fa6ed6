"""The OpenAI Chat Completions wire format (`POST /v1/chat/completions`).

Modules: `request` (body ↔ `Request`), `response` (non-streaming body ↔ events),
`stream_decoder` / `stream_encoder` (SSE ↔ events), `mapping` (finish reasons, usage, tools).
"""

from __future__ import annotations

from wire.codecs.base import Codec
from wire.codecs.openai_chat.request import decode_request, encode_request
from wire.codecs.openai_chat.response import decode_response, encode_response
from wire.codecs.openai_chat.stream_decoder import OpenAIStreamDecoder
from wire.codecs.openai_chat.stream_encoder import OpenAIStreamEncoder

OPENAI_CODEC = Codec(
    format="openai",
    decode_request=decode_request,
    encode_request=encode_request,
    decode_response=decode_response,
    encode_response=encode_response,
    stream_decoder=OpenAIStreamDecoder,
    stream_encoder=OpenAIStreamEncoder,
)

__all__ = ["OPENAI_CODEC", "OpenAIStreamDecoder", "OpenAIStreamEncoder"]
