"""Translate a client body to an upstream body the way the pipeline does (decode → translate →
encode), without the pipeline."""

from __future__ import annotations

from typing import Any

from wire.codecs import codec_for
from wire.neutral import Event, WireFormat
from wire.translation import Translation


def translate_body(
    client: WireFormat, upstream: WireFormat, body: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The upstream body for a client body, and the translation's notes."""
    translation = Translation(client, upstream)
    request = codec_for(client).decode_request(body)
    sent = codec_for(upstream).encode_request(translation.request(request))
    return sent, translation.notes.items


def translate_response(
    client: WireFormat, upstream: WireFormat, body: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The client's body for a complete upstream response body, and the notes."""
    translation = Translation(client, upstream)
    events: list[Event] = codec_for(upstream).decode_response(body)
    out = translation.events().feed(events)
    return codec_for(client).encode_response(out), translation.notes.items
