"""An untouched stream reaches the client as the upstream sent it, field for field.

Decoding a provider-shaped stream and encoding it again in the same format must give back the
same events with the same JSON (key order aside): chunk-level fields a router adds, choice-level
fields, a first delta with `"content": null`, `message_delta` fields beside `delta`/`usage`.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tests.wire.codecs.helpers import decode_stream, stream_bytes
from wire.codecs.anthropic_messages import ANTHROPIC_CODEC
from wire.codecs.base import Codec
from wire.codecs.openai_chat import OPENAI_CODEC
from wire.neutral import Request

CODECS: dict[str, Codec] = {"openai": OPENAI_CODEC, "anthropic": ANTHROPIC_CODEC}

# Streams whose every data frame must come back unchanged (comments and keep-alives aside).
FAITHFUL = [
    ("openai", "router_extra_fields"),
    ("anthropic", "context_management"),
    ("anthropic", "text"),
    ("anthropic", "thinking"),
    ("anthropic", "server_tool"),
    ("anthropic", "citations"),
    ("anthropic", "pause_turn"),
]


def _frames(data: bytes) -> list[Any]:
    """The parsed `data:` payloads of an SSE body, in order (`[DONE]` kept as text)."""
    frames: list[Any] = []
    for line in data.split(b"\n"):
        if line.startswith(b"data:"):
            payload = line[5:].strip()
            frames.append(payload.decode() if payload == b"[DONE]" else orjson.loads(payload))
    return frames


def _request(fmt: str) -> Request:
    body: dict[str, Any] = {"model": "m", "messages": [], "stream": True}
    if fmt == "openai":
        body["stream_options"] = {"include_usage": True}
    else:
        body["max_tokens"] = 10
    return CODECS[fmt].decode_request(body)


@pytest.mark.parametrize(("fmt", "name"), FAITHFUL, ids=[f"{f}-{n}" for f, n in FAITHFUL])
def test_untouched_stream_comes_back_frame_for_frame(fmt: str, name: str) -> None:
    upstream = stream_bytes(fmt, name)
    events = decode_stream(CODECS[fmt].stream_decoder(), upstream)
    encoder = CODECS[fmt].stream_encoder(_request(fmt))
    sent = encoder.encode(events) + encoder.finish()
    assert _frames(sent) == _frames(upstream)


def test_router_fields_are_on_every_chunk() -> None:
    events = decode_stream(
        OPENAI_CODEC.stream_decoder(), stream_bytes("openai", "router_extra_fields")
    )
    encoder = OPENAI_CODEC.stream_encoder(_request("openai"))
    frames = [f for f in _frames(encoder.encode(events)) if isinstance(f, dict)]
    assert {f["provider"] for f in frames} == {"DeepInfra"}
    assert frames[0]["choices"][0]["delta"] == {"role": "assistant", "content": None}
    finish = [f for f in frames if f["choices"] and f["choices"][0]["finish_reason"]]
    assert finish[0]["choices"][0]["native_finish_reason"] == "end_turn"


def test_router_fields_survive_into_a_non_streaming_answer() -> None:
    events = decode_stream(
        OPENAI_CODEC.stream_decoder(), stream_bytes("openai", "router_extra_fields")
    )
    body = OPENAI_CODEC.encode_response(events)
    assert body["provider"] == "DeepInfra"
    assert body["choices"][0]["native_finish_reason"] == "end_turn"
    assert (
        body["choices"][0]["message"]["reasoning_content"] == "The user greets me. Answer briefly."
    )
    assert "first_choice" not in body


def test_openai_extras_do_not_leak_into_an_anthropic_stream() -> None:
    events = decode_stream(
        OPENAI_CODEC.stream_decoder(), stream_bytes("openai", "router_extra_fields")
    )
    encoder = ANTHROPIC_CODEC.stream_encoder(_request("anthropic"))
    frames = _frames(encoder.encode(events) + encoder.finish())
    text = orjson.dumps(frames).decode()
    assert "native_finish_reason" not in text and "first_choice" not in text
    assert "finish_choice" not in text and "provider" not in text
