"""Anthropic SSE events ↔ neutral events: decoding in awkward splits, re-encoding, repair."""

from __future__ import annotations

import orjson
import pytest

from tests.wire.codecs.helpers import (
    SPLITTERS,
    assemble_blocks,
    corpus_files,
    decode_stream,
    stream_bytes,
)
from wire.codecs.anthropic_messages import ANTHROPIC_CODEC
from wire.neutral import (
    BlockStart,
    BlockStop,
    Event,
    MessageEnd,
    MessageStart,
    OpaqueBlock,
    OpaqueDelta,
    OpaqueEvent,
    Request,
    StreamError,
    TextBlock,
    ToolArgsDelta,
    ToolCallBlock,
    Usage,
)

STREAMS = [p.stem for p in corpus_files("anthropic", "streams", ".sse")]
REQUEST = Request(format="anthropic", model="claude-sonnet-4-5", messages=[], stream=True)


def _decode(name: str) -> list[Event]:
    return decode_stream(ANTHROPIC_CODEC.stream_decoder(), stream_bytes("anthropic", name))


def _frames(data: bytes) -> list[tuple[str, dict[str, object]]]:
    """(event name, data) of each frame of an encoded stream."""
    out = []
    for frame in data.split(b"\n\n"):
        if frame:
            name_line, data_line = frame.split(b"\n")
            assert name_line.startswith(b"event: ") and data_line.startswith(b"data: ")
            out.append((name_line[7:].decode(), orjson.loads(data_line[6:])))
    return out


@pytest.mark.parametrize("name", STREAMS)
@pytest.mark.parametrize("split", list(SPLITTERS))
def test_any_split_gives_the_same_events(name: str, split: str) -> None:
    data = stream_bytes("anthropic", name)
    events = decode_stream(ANTHROPIC_CODEC.stream_decoder(), data, SPLITTERS[split])
    assert events == _decode(name)


@pytest.mark.parametrize("name", STREAMS)
def test_reencoded_stream_decodes_to_the_same_events(name: str) -> None:
    events = _decode(name)
    encoder = ANTHROPIC_CODEC.stream_encoder(REQUEST)
    data = encoder.encode(events) + encoder.finish()
    again = decode_stream(ANTHROPIC_CODEC.stream_decoder(), data)
    if events[-1] == MessageEnd(None):  # a repaired stream: the client is told "end_turn"
        assert again[-1] == MessageEnd("end_turn", usage=Usage(50, 1, {"output_tokens": 1}))
        again, events = again[:-1], events[:-1]
    assert again == events


@pytest.mark.parametrize("name", [n for n in STREAMS if n != "truncated"])
def test_untouched_stream_reencodes_to_the_same_frames(name: str) -> None:
    """Same-format streams are re-sent frame for frame (same event names, same JSON); the
    truncated stream is repaired (frames are added), see the repair tests."""
    original = stream_bytes("anthropic", name)
    encoder = ANTHROPIC_CODEC.stream_encoder(REQUEST)
    data = encoder.encode(_decode(name)) + encoder.finish()
    assert _frames(data) == _frames(original)


def test_text_stream() -> None:
    events = _decode("text")
    start = events[0]
    assert isinstance(start, MessageStart)
    assert (start.id, start.model) == ("msg_01XFDUDYJgAACzvnptvVoYEL", "claude-sonnet-4-5-20250929")
    assert start.extra == {"type": "message", "role": "assistant"}
    assert start.usage is not None and start.usage.input_tokens == 10
    assert events[1] == BlockStart(0, TextBlock())
    assert events[2] == OpaqueEvent({"type": "ping"}, "ping")
    end = events[-1]
    assert isinstance(end, MessageEnd) and end.stop_reason == "end_turn"
    assert end.usage == Usage(10, 18, {"output_tokens": 18})


def test_thinking_and_tool_use_stream() -> None:
    events = _decode("thinking")
    assert events[1] == BlockStart(
        0, OpaqueBlock({"type": "thinking", "thinking": "", "signature": ""})
    )
    opaque = [e for e in events if isinstance(e, OpaqueDelta)]
    assert [d.raw["type"] for d in opaque] == [
        "thinking_delta",
        "thinking_delta",
        "signature_delta",
    ]
    tool_start = next(
        e for e in events if isinstance(e, BlockStart) and isinstance(e.block, ToolCallBlock)
    )
    assert tool_start == BlockStart(
        2, ToolCallBlock("toolu_01CswdEQBMshySk6Y9DFKrfq", "get_weather")
    )
    assert [e for e in events if isinstance(e, ToolArgsDelta)] == [
        ToolArgsDelta(2, '{"location": "Paris, France"}')
    ]


def test_server_tool_calls_reach_policies_and_their_results_stay_opaque() -> None:
    events = _decode("server_tool")
    starts = [e.block for e in events if isinstance(e, BlockStart)]
    assert [type(b).__name__ for b in starts] == [
        "TextBlock",
        "ToolCallBlock",
        "OpaqueBlock",
        "TextBlock",
    ]
    call = starts[1]
    assert isinstance(call, ToolCallBlock) and call.extra["type"] == "server_tool_use"
    arguments = "".join(e.partial_json for e in events if isinstance(e, ToolArgsDelta))
    assert orjson.loads(arguments) == {"query": "PEP 695 accepted"}


def test_message_delta_usage_and_stop_details() -> None:
    end = _decode("refusal")[-1]
    assert end == MessageEnd(
        "refusal",
        None,
        Usage(40, 0, {"output_tokens": 0}),
        {
            "stop_details": {
                "type": "refusal",
                "category": "cyber",
                "explanation": "This request was declined.",
            }
        },
    )


def test_unknown_events_and_deltas_survive() -> None:
    events = _decode("unknown_event")
    assert events[1] == OpaqueEvent(
        {"type": "message_annotation", "annotation": {"kind": "safety", "score": 0.1}},
        "message_annotation",
    )
    assert OpaqueDelta(1, {"type": "sparkle_delta", "level": 3}) in events
    assert events[0].extra["x_trace"] == {"id": "t1"}  # type: ignore[union-attr]


def test_error_mid_stream_is_terminal() -> None:
    decoder = ANTHROPIC_CODEC.stream_decoder()
    events = decode_stream(decoder, stream_bytes("anthropic", "error_overloaded"))
    assert events[-1] == StreamError(529, "overloaded_error", "Overloaded")
    assert decoder.finish() == []


def test_truncated_stream_is_repaired_by_finish() -> None:
    events = _decode("truncated")
    assert events[-2:] == [BlockStop(0), MessageEnd(None)]
    assert assemble_blocks(events).blocks[0].name == "Bash"


# --- encoder -----------------------------------------------------------------------------------


def test_encoder_uses_the_indexes_it_is_given_and_fills_in_start_shapes() -> None:
    encoder = ANTHROPIC_CODEC.stream_encoder(REQUEST)
    data = encoder.encode(
        [
            MessageStart("msg_1", "claude-x"),
            BlockStart(0, TextBlock("⛔ blocked")),
            BlockStop(0),
            BlockStart(1, ToolCallBlock("toolu_1", "Read", '{"path":"a"}')),
            BlockStop(1),
            MessageEnd("tool_use", usage=Usage(None, 7)),
        ]
    )
    assert encoder.finish() == b""
    assert _frames(data) == [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "model": "claude-x",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 0, "output_tokens": 0},
                },
            },
        ),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "⛔ blocked"},
            },
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 1,
                "content_block": {"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {}},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": '{"path":"a"}'},
            },
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 1}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                "usage": {"output_tokens": 7},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]


def test_tool_use_without_tool_calls_ends_the_turn() -> None:
    encoder = ANTHROPIC_CODEC.stream_encoder(REQUEST)
    frames = _frames(encoder.encode([MessageStart("m", "c"), MessageEnd("tool_use")]))
    assert frames[-2][1]["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}


def test_openai_only_events_and_extras_are_not_sent() -> None:
    encoder = ANTHROPIC_CODEC.stream_encoder(REQUEST)
    frames = _frames(
        encoder.encode(
            [
                MessageStart("c1", "gpt", None, {"object": "chat.completion.chunk", "created": 1}),
                OpaqueEvent({"delta": {"refusal": "no"}}),
                MessageEnd("end_turn", extra={"finish_reason": "stop"}),
            ]
        )
    )
    assert [name for name, _ in frames] == ["message_start", "message_delta", "message_stop"]
    assert "object" not in frames[0][1]["message"]  # type: ignore[operator]
    assert frames[1][1]["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}


def test_stream_error_frame() -> None:
    encoder = ANTHROPIC_CODEC.stream_encoder(REQUEST)
    assert _frames(encoder.encode([StreamError(529, "overloaded_error", "Overloaded")])) == [
        ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    ]


def test_batch_encoding_equals_one_by_one() -> None:
    events = _decode("thinking")
    batch = ANTHROPIC_CODEC.stream_encoder(REQUEST)
    single = ANTHROPIC_CODEC.stream_encoder(REQUEST)
    assert batch.encode(events) == b"".join(single.encode([e]) for e in events)
