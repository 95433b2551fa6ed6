"""OpenAI SSE chunks ↔ neutral events: decoding in awkward splits, re-encoding, repair."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.wire.codecs.helpers import (
    SPLITTERS,
    assemble_blocks,
    corpus_files,
    decode_stream,
    stream_bytes,
)
from wire.codecs.openai_chat import OPENAI_CODEC
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
    TextDelta,
    ToolArgsDelta,
    ToolCallBlock,
    Usage,
)

STREAMS = [p.stem for p in corpus_files("openai", "streams", ".sse")]


def _decode(name: str) -> list[Event]:
    return decode_stream(OPENAI_CODEC.stream_decoder(), stream_bytes("openai", name))


def _request(*, include_usage: bool = False, model: str = "gpt-4o") -> Request:
    params = {"stream_options": {"include_usage": True}} if include_usage else {}
    return Request(format="openai", model=model, messages=[], stream=True, params=params)


def _chunks(data: bytes) -> list[dict[str, object] | str]:
    """The data payloads of an encoded stream ("[DONE]" kept as a string)."""
    out: list[dict[str, object] | str] = []
    for frame in data.split(b"\n\n"):
        if frame:
            assert frame.startswith(b"data: "), frame
            payload = frame[len(b"data: ") :]
            out.append("[DONE]" if payload == b"[DONE]" else orjson.loads(payload))
    return out


@pytest.mark.parametrize("name", STREAMS)
@pytest.mark.parametrize("split", list(SPLITTERS))
def test_any_split_gives_the_same_events(name: str, split: str) -> None:
    data = stream_bytes("openai", name)
    events = decode_stream(OPENAI_CODEC.stream_decoder(), data, SPLITTERS[split])
    assert events == _decode(name)


@pytest.mark.parametrize("name", STREAMS)
def test_reencoded_stream_decodes_to_the_same_events(name: str) -> None:
    events = _decode(name)
    has_usage = any(isinstance(e, MessageEnd) and e.usage for e in events)
    encoder = OPENAI_CODEC.stream_encoder(_request(include_usage=has_usage))
    data = encoder.encode(events) + encoder.finish()
    again = decode_stream(OPENAI_CODEC.stream_decoder(), data)
    if events[-1] == MessageEnd(None):  # a repaired stream: the client is told "stop"
        assert again[-1] == MessageEnd("end_turn", extra={"finish_reason": "stop"})
        again, events = again[:-1], events[:-1]
    assert again == events


@pytest.mark.parametrize("name", STREAMS)
def test_event_sequence_is_protocol_valid(name: str) -> None:
    events = _decode(name)
    assert isinstance(events[0], MessageStart)
    open_index: int | None = None
    last_index = -1
    for event in events[1:-1]:
        if isinstance(event, BlockStart):
            assert open_index is None, "blocks never overlap"
            assert event.index > last_index
            open_index = last_index = event.index
        elif isinstance(event, (TextDelta, ToolArgsDelta, OpaqueDelta)):
            assert event.index == open_index
        elif isinstance(event, BlockStop):
            assert event.index == open_index
            open_index = None
    if isinstance(events[-1], StreamError):
        return  # an error ends the stream where it happened
    assert open_index is None
    assert isinstance(events[-1], MessageEnd)


def test_text_stream() -> None:
    events = _decode("text")
    start = events[0]
    assert start == MessageStart(
        "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "gpt-4o-2024-08-06",
        None,
        {
            "object": "chat.completion.chunk",
            "created": 1741569952,
            "service_tier": "default",
            "system_fingerprint": "fp_f9f4fb6dbf",
            "first_choice": {"delta": {"role": "assistant", "content": "", "refusal": None}},
        },
    )
    assert events[1] == BlockStart(0, TextBlock())
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == "Bonjour ! Comment puis-je vous aider aujourd'hui ?"
    assert events[-2] == BlockStop(0)
    end = events[-1]
    assert isinstance(end, MessageEnd)
    assert end.stop_reason == "end_turn"
    assert end.extra == {"finish_reason": "stop"}
    # The usage chunk comes after the finish_reason chunk: it still lands in MessageEnd.
    assert end.usage is not None
    assert (end.usage.input_tokens, end.usage.output_tokens) == (13, 12)


def test_tool_call_stream() -> None:
    events = _decode("tool_call")
    assert events[1] == BlockStart(
        0, ToolCallBlock("call_DdmO9pD3xa9XTPNJ32zg2hcA", "run_shell", "", {"type": "function"})
    )
    args = "".join(e.partial_json for e in events if isinstance(e, ToolArgsDelta))
    assert args == '{"command":"pytest -q tests/"}'
    assert isinstance(events[-1], MessageEnd)
    assert events[-1].stop_reason == "tool_use"


def test_text_then_two_tool_calls() -> None:
    outcome = assemble_blocks(_decode("two_tool_calls"))
    assert [(b.kind, b.name, b.text) for b in outcome.blocks] == [
        ("text", "", "I'll check both cities."),
        ("tool_call", "get_weather", '{"city":"Paris","unit":"celsius"}'),
        ("tool_call", "get_weather", '{"city":"Tokyo","unit":"celsius"}'),
    ]


def test_interleaved_tool_calls_come_out_whole_and_sequential() -> None:
    events = _decode("interleaved_tool_calls")
    outcome = assemble_blocks(events)
    assert [(b.id, b.text) for b in outcome.blocks] == [
        ("call_a", '{"path":"a.py"}'),
        ("call_b", '{"path":"b.py"}'),
    ]
    assert outcome.stop_reason == "tool_use"


def test_other_delta_fields_survive_as_opaque_events() -> None:
    refusal = [e for e in _decode("refusal") if isinstance(e, OpaqueEvent)]
    assert "".join(str(e.raw["delta"]["refusal"]) for e in refusal) == (
        "I'm sorry, I can't help with that."
    )
    reasoning = [e for e in _decode("reasoning_compat") if isinstance(e, OpaqueEvent)]
    assert reasoning[0].raw == {"delta": {"reasoning_content": "17 * 23 = 17 * 20"}}
    logprobs = [e for e in _decode("logprobs") if isinstance(e, OpaqueEvent)]
    assert logprobs[1].raw["logprobs"]["content"][0]["token"] == "Yes"  # type: ignore[index]


def test_usage_on_the_finish_chunk_is_kept() -> None:
    end = _decode("reasoning_compat")[-1]
    assert isinstance(end, MessageEnd)
    assert end.usage is not None and end.usage.output_tokens == 40


def test_error_mid_stream_is_terminal() -> None:
    decoder = OPENAI_CODEC.stream_decoder()
    events = decode_stream(decoder, stream_bytes("openai", "error_midstream"))
    assert events[-1] == StreamError(
        500,
        "server_error",
        "The server had an error while processing your request. Sorry about that!",
    )
    assert not any(isinstance(e, MessageEnd) for e in events)
    assert decoder.finish() == []


def test_truncated_stream_is_repaired_by_finish() -> None:
    events = _decode("keepalive_truncated")
    assert [type(e) for e in events] == [
        MessageStart,
        BlockStart,
        TextDelta,
        TextDelta,
        BlockStop,
        MessageEnd,
    ]
    assert events[-1] == MessageEnd(None)


def test_unreadable_chunk_is_an_error() -> None:
    events = decode_stream(OPENAI_CODEC.stream_decoder(), b"data: {not json\n\n")
    assert len(events) == 1 and isinstance(events[0], StreamError)
    assert events[0].status == 502


def test_empty_stream_gives_nothing() -> None:
    assert decode_stream(OPENAI_CODEC.stream_decoder(), b"data: [DONE]\n\n") == []


# --- encoder -----------------------------------------------------------------------------------

START = MessageStart(
    "chatcmpl-1", "gpt-4o", None, {"created": 1700000000, "system_fingerprint": "fp_x"}
)


def test_chunks_look_like_openai() -> None:
    encoder = OPENAI_CODEC.stream_encoder(_request(include_usage=True))
    data = encoder.encode(
        [
            START,
            BlockStart(3, TextBlock()),
            TextDelta(3, "Hi"),
            BlockStop(3),
            MessageEnd("end_turn", usage=Usage(5, 1, None)),
        ]
    )
    chunks = _chunks(data + encoder.finish())
    head = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-4o",
        "system_fingerprint": "fp_x",
    }

    def choice(delta: object, finish: object = None) -> dict[str, object]:
        return {
            **head,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            "usage": None,
        }

    assert chunks == [
        choice({"role": "assistant", "content": "", "refusal": None}),
        choice({"content": "Hi"}),
        choice({}, "stop"),
        {
            **head,
            "choices": [],
            "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
        },
        "[DONE]",
    ]


def test_no_usage_chunk_unless_asked() -> None:
    encoder = OPENAI_CODEC.stream_encoder(_request())
    chunks = _chunks(encoder.encode([START, MessageEnd("end_turn", usage=Usage(5, 1, None))]))
    assert len(chunks) == 2
    assert all("usage" not in c for c in chunks if isinstance(c, dict))


def test_tool_calls_are_numbered_from_zero_whatever_the_block_indexes() -> None:
    encoder = OPENAI_CODEC.stream_encoder(_request())
    data = encoder.encode(
        [
            START,
            BlockStart(7, TextBlock()),
            TextDelta(7, "Checking."),
            BlockStop(7),
            BlockStart(9, ToolCallBlock("call_a", "Read")),
            ToolArgsDelta(9, '{"path":'),
            ToolArgsDelta(9, '"a"}'),
            BlockStop(9),
            BlockStart(12, OpaqueBlock({"type": "thinking", "thinking": "hm"})),
            OpaqueDelta(12, {"type": "signature_delta", "signature": "s"}),
            BlockStop(12),
            BlockStart(20, ToolCallBlock("call_b", "Bash", '{"command":"ls"}')),
            BlockStop(20),
            OpaqueEvent({"type": "ping"}, "ping"),
            MessageEnd("tool_use"),
        ]
    )
    deltas = [c["choices"][0]["delta"] for c in _chunks(data) if isinstance(c, dict)]  # type: ignore[index]
    assert deltas[2:] == [
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "call_a",
                    "type": "function",
                    "function": {"name": "Read", "arguments": ""},
                }
            ]
        },
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"path":'}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": '"a"}'}}]},
        {
            "tool_calls": [
                {
                    "index": 1,
                    "id": "call_b",
                    "type": "function",
                    "function": {"name": "Bash", "arguments": '{"command":"ls"}'},
                }
            ]
        },
        {},
    ]
    assert _chunks(data)[-1]["choices"][0]["finish_reason"] == "tool_calls"  # type: ignore[index]


@pytest.mark.parametrize(
    ("stop_reason", "has_tool", "expected"),
    [
        ("end_turn", False, "stop"),
        ("stop_sequence", False, "stop"),
        ("max_tokens", False, "length"),
        ("tool_use", True, "tool_calls"),
        ("tool_use", False, "stop"),
        ("content_filter", False, "content_filter"),
        ("refusal", False, "content_filter"),
        (None, False, "stop"),
    ],
)
def test_finish_reason_mapping(stop_reason: str | None, has_tool: bool, expected: str) -> None:
    encoder = OPENAI_CODEC.stream_encoder(_request())
    events: list[Event] = [START]
    if has_tool:
        events += [BlockStart(0, ToolCallBlock("c", "f")), BlockStop(0)]
    chunks = _chunks(encoder.encode([*events, MessageEnd(stop_reason)]))
    assert chunks[-1]["choices"][0]["finish_reason"] == expected  # type: ignore[index]


def test_batch_encoding_equals_one_by_one() -> None:
    events = _decode("two_tool_calls")
    batch = OPENAI_CODEC.stream_encoder(_request(include_usage=True))
    single = OPENAI_CODEC.stream_encoder(_request(include_usage=True))
    assert batch.encode(events) == b"".join(single.encode([e]) for e in events)
    assert batch.finish() == b"data: [DONE]\n\n"


def test_stream_error_frame() -> None:
    encoder = OPENAI_CODEC.stream_encoder(_request())
    data = encoder.encode([START, StreamError(529, "overloaded_error", "Overloaded")])
    assert _chunks(data)[-1] == {
        "error": {"message": "Overloaded", "type": "overloaded_error", "param": None, "code": None}
    }


def test_encoder_without_message_start_still_sends_valid_chunks() -> None:
    encoder = OPENAI_CODEC.stream_encoder(_request(model="m"))
    chunks = _chunks(encoder.encode([TextDelta(0, "x"), MessageEnd("end_turn")]))
    assert [c["model"] for c in chunks if isinstance(c, dict)] == ["m", "m", "m"]


def test_corpus_stream_files_are_raw_sse() -> None:
    for path in corpus_files("openai", "streams", ".sse"):
        assert Path(path).read_bytes().count(b"data: ") >= 1
