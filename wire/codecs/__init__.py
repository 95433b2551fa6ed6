"""Wire-format codecs: `codec_for(format)` gives the codec of a client or upstream format."""

from __future__ import annotations

from wire.codecs.base import Codec, StreamDecoder, StreamEncoder
from wire.neutral import WireFormat


def codec_for(fmt: WireFormat) -> Codec:
    """The codec for `fmt` ("openai", "anthropic" or "responses")."""
    if fmt == "openai":
        from wire.codecs.openai_chat import OPENAI_CODEC

        return OPENAI_CODEC
    if fmt == "responses":
        from wire.codecs.openai_responses import RESPONSES_CODEC

        return RESPONSES_CODEC
    from wire.codecs.anthropic_messages import ANTHROPIC_CODEC

    return ANTHROPIC_CODEC


__all__ = ["Codec", "StreamDecoder", "StreamEncoder", "codec_for"]
