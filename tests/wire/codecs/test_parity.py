"""Parity: a stream and its non-streaming twin are the same response in neutral form."""

from __future__ import annotations

import pytest

from tests.wire.codecs.helpers import (
    CORPUS,
    assemble_blocks,
    decode_stream,
    load_json,
    stream_bytes,
)
from wire.codecs.anthropic_messages import ANTHROPIC_CODEC
from wire.codecs.base import Codec
from wire.codecs.openai_chat import OPENAI_CODEC

CODECS: dict[str, Codec] = {"openai": OPENAI_CODEC, "anthropic": ANTHROPIC_CODEC}

# (format, stream name, response name, whether the assembled stream equals the body exactly)
PAIRS = [
    ("openai", "text", "text", True),
    ("openai", "tool_call", "tool_call", True),
    ("openai", "two_tool_calls", "two_tool_calls", True),
    ("openai", "refusal", "refusal", True),
    ("openai", "reasoning_compat", "reasoning_compat", False),
    ("openai", "length", "length", False),
    ("openai", "logprobs", "logprobs", False),
    ("openai", "legacy_function_call", "function_call_legacy", False),
    ("anthropic", "text", "text", True),
    ("anthropic", "tool_use", "tool_use", True),
    ("anthropic", "two_tool_use", "two_tool_use", True),
    ("anthropic", "thinking", "thinking_text_tool", True),
    ("anthropic", "citations", "citations", True),
    ("anthropic", "server_tool", "server_tool_use", True),
    ("anthropic", "refusal", "refusal_stop_details", True),
]
IDS = [f"{fmt}-{stream}" for fmt, stream, _, _ in PAIRS]
# Streams recorded without a usage chunk (the client did not ask for one).
WITHOUT_USAGE = {("openai", "length"), ("openai", "logprobs"), ("openai", "legacy_function_call")}


@pytest.mark.parametrize(("fmt", "stream", "response", "exact"), PAIRS, ids=IDS)
def test_stream_and_body_assemble_to_the_same_blocks(
    fmt: str, stream: str, response: str, exact: bool
) -> None:
    codec = CODECS[fmt]
    streamed = assemble_blocks(decode_stream(codec.stream_decoder(), stream_bytes(fmt, stream)))
    body = load_json(CORPUS / fmt / "responses" / f"{response}.json")
    whole = assemble_blocks(codec.decode_response(body))
    assert streamed.blocks == whole.blocks
    assert streamed.stop_reason == whole.stop_reason
    assert (streamed.output_tokens is None) == ((fmt, stream) in WITHOUT_USAGE)
    if (fmt, stream) not in WITHOUT_USAGE:
        assert (streamed.input_tokens, streamed.output_tokens) == (
            whole.input_tokens,
            whole.output_tokens,
        )


# Only the pairs whose stream carries every field of the body (no usage, compat-only fields
# otherwise) can assemble to exactly that body.
EXACT = [pair for pair in PAIRS if pair[3]]


@pytest.mark.parametrize(
    ("fmt", "stream", "response", "exact"), EXACT, ids=[f"{p[0]}-{p[1]}" for p in EXACT]
)
def test_assembled_stream_is_the_non_streaming_body(
    fmt: str, stream: str, response: str, exact: bool
) -> None:
    """What the recorder stores for a stream ("streams assembled") is the upstream's own body."""
    codec = CODECS[fmt]
    events = decode_stream(codec.stream_decoder(), stream_bytes(fmt, stream))
    body = load_json(CORPUS / fmt / "responses" / f"{response}.json")
    assert codec.encode_response(events) == body
