"""The OpenAI Responses wire format (`POST /v1/responses`).

Modules: `request` (body ↔ `Request`), `response` (non-streaming body ↔ events),
`stream_decoder` / `stream_encoder` (SSE ↔ events), `items` (output items from blocks),
`mapping` (statuses, usage, call items, tools).
"""

from __future__ import annotations

from wire.codecs.base import Codec
from wire.codecs.openai_responses.request import decode_request, encode_request
from wire.codecs.openai_responses.response import decode_response, encode_response
from wire.codecs.openai_responses.stream_decoder import ResponsesStreamDecoder
from wire.codecs.openai_responses.stream_encoder import ResponsesStreamEncoder

RESPONSES_CODEC = Codec(
    format="responses",
    decode_request=decode_request,
    encode_request=encode_request,
    decode_response=decode_response,
    encode_response=encode_response,
    stream_decoder=ResponsesStreamDecoder,
    stream_encoder=ResponsesStreamEncoder,
)

__all__ = [
    "RESPONSES_CODEC",
    "ResponsesStreamDecoder",
    "ResponsesStreamEncoder",
]
