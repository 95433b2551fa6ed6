"""Upstream answers translated for a client of the other format: complete bodies, stream events,
usage, stop reasons, dropped blocks and errors."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tests.wire.translation.helpers import translate_response
from wire.codecs import codec_for
from wire.errors import UpstreamError, render_error
from wire.neutral import (
    BlockStart,
    BlockStop,
    MessageEnd,
    MessageStart,
    OpaqueBlock,
    OpaqueDelta,
    OpaqueEvent,
    StreamError,
    TextBlock,
    TextDelta,
    ToolCallBlock,
    Usage,
)
from wire.sse import SSEDecoder
from wire.translation import Translation

ANTHROPIC_MESSAGE: dict[str, Any] = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-x",
    "content": [
        {"type": "thinking", "thinking": "let me see", "signature": "sig"},
        {"type": "text", "text": "Listing.", "citations": None},
        {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls"}},
        {"type": "tool_use", "id": "toolu_2", "name": "Read", "input": {"path": "a"}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 90},
}
OPENAI_COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-x",
    "system_fingerprint": "fp",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Listing.",
                "refusal": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "Bash", "arguments": '{"command":"ls"}'},
                    }
                ],
            },
            "logprobs": None,
            "finish_reason": "tool_calls",
        }
    ],
    "usage": {
        "prompt_tokens": 100,
        "completion_tokens": 5,
        "total_tokens": 105,
        "prompt_tokens_details": {"cached_tokens": 90},
    },
}


def test_anthropic_message_for_an_openai_client() -> None:
    body, notes = translate_response("openai", "anthropic", ANTHROPIC_MESSAGE)
    message = body["choices"][0]["message"]
    assert message["content"] == "Listing."
    assert [c["function"] for c in message["tool_calls"]] == [
        {"name": "Bash", "arguments": '{"command":"ls"}'},
        {"name": "Read", "arguments": '{"path":"a"}'},
    ]
    assert [c["id"] for c in message["tool_calls"]] == ["toolu_1", "toolu_2"]
    assert body["choices"][0]["finish_reason"] == "tool_calls"
    assert body["usage"] == {
        "prompt_tokens": 100,
        "completion_tokens": 5,
        "total_tokens": 105,
        "prompt_tokens_details": {"cached_tokens": 90},
    }
    assert body["object"] == "chat.completion" and "type" not in body
    assert notes == ["thinking blocks of the answer were dropped (the client's format has none)"]


def test_openai_completion_for_an_anthropic_client() -> None:
    body, notes = translate_response("anthropic", "openai", OPENAI_COMPLETION)
    assert body["content"] == [
        {"type": "text", "text": "Listing."},
        {"type": "tool_use", "id": "call_1", "name": "Bash", "input": {"command": "ls"}},
    ]
    assert body["stop_reason"] == "tool_use"
    assert body["usage"] == {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 90}
    assert "system_fingerprint" not in body and "object" not in body
    assert notes == []


@pytest.mark.parametrize(
    ("finish", "stop"),
    [("stop", "end_turn"), ("length", "max_tokens"), ("content_filter", "refusal")],
)
def test_openai_finish_reasons(finish: str, stop: str) -> None:
    completion = {
        **OPENAI_COMPLETION,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "x"}, "finish_reason": finish}
        ],
    }
    assert translate_response("anthropic", "openai", completion)[0]["stop_reason"] == stop


@pytest.mark.parametrize(
    ("stop", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("refusal", "content_filter"),
        ("pause_turn", "stop"),
    ],
)
def test_anthropic_stop_reasons(stop: str, finish: str) -> None:
    message = {**ANTHROPIC_MESSAGE, "content": [{"type": "text", "text": "x"}], "stop_reason": stop}
    assert (
        translate_response("openai", "anthropic", message)[0]["choices"][0]["finish_reason"]
        == finish
    )


def test_openai_reasoning_content_is_dropped_with_a_note() -> None:
    completion = {
        **OPENAI_COMPLETION,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "x", "reasoning_content": "think"},
                "finish_reason": "stop",
            }
        ],
    }
    body, notes = translate_response("anthropic", "openai", completion)
    assert body["content"] == [{"type": "text", "text": "x"}]
    assert notes == ["'reasoning_content' of the answer was dropped (the client's format has none)"]


def test_stream_events_are_renumbered_and_usage_carried_from_the_start() -> None:
    translator = Translation("openai", "anthropic").events()
    out = translator.feed(
        [
            MessageStart(
                "msg_1", "claude-x", Usage(10, 1, {"input_tokens": 10, "output_tokens": 1})
            ),
            OpaqueEvent({"type": "ping"}, "ping"),
            BlockStart(0, OpaqueBlock({"type": "thinking", "thinking": ""})),
            OpaqueDelta(0, {"type": "thinking_delta", "thinking": "hm"}),
            BlockStop(0),
            BlockStart(1, TextBlock(extra={"citations": None})),
            TextDelta(1, "hi"),
            BlockStop(1),
            BlockStart(2, ToolCallBlock("t", "Bash", extra={"type": "server_tool_use"})),
            BlockStop(2),
            BlockStart(3, ToolCallBlock("t2", "Read")),
            BlockStop(3),
            MessageEnd("tool_use", None, Usage(None, 7, {"output_tokens": 7})),
        ]
    )
    assert [type(e).__name__ for e in out] == [
        "MessageStart",
        "BlockStart",
        "TextDelta",
        "BlockStop",
        "BlockStart",
        "BlockStop",
        "MessageEnd",
    ]
    assert [e.index for e in out if isinstance(e, (BlockStart, BlockStop, TextDelta))] == [
        0,
        0,
        0,
        1,
        1,
    ]
    end = out[-1]
    assert isinstance(end, MessageEnd) and end.usage is not None
    assert end.usage.raw == {"prompt_tokens": 10, "completion_tokens": 7, "total_tokens": 17}
    assert isinstance(out[1], BlockStart) and out[1].block == TextBlock("")


def test_stream_of_an_anthropic_upstream_encodes_as_openai_chunks() -> None:
    start = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 3, "output_tokens": 1},
    }
    call = {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {}}
    sse = _sse(
        {"type": "message_start", "message": start},
        {"type": "content_block_start", "index": 0, "content_block": call},
        _args_delta('{"command":'),
        _args_delta('"ls"}'),
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"output_tokens": 9},
        },
        {"type": "message_stop"},
    )
    decoder = codec_for("anthropic").stream_decoder()
    translator = Translation("openai", "anthropic").events()
    client_request = codec_for("openai").decode_request(
        {
            "model": "claude-x",
            "messages": [],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    )
    encoder = codec_for("openai").stream_encoder(client_request)
    events = translator.feed(decoder.feed(SSEDecoder().feed(sse)) + decoder.finish())
    chunks = [
        orjson.loads(line[6:])
        for line in (encoder.encode(events) + encoder.finish()).decode().splitlines()
        if line.startswith("data: {")
    ]
    calls = [
        c for chunk in chunks for ch in chunk["choices"] for c in ch["delta"].get("tool_calls", [])
    ]
    assert calls[0]["id"] == "toolu_1" and calls[0]["function"]["name"] == "Bash"
    assert "".join(c["function"].get("arguments", "") for c in calls) == '{"command":"ls"}'
    assert [ch["finish_reason"] for chunk in chunks for ch in chunk["choices"]][-1] == "tool_calls"
    assert chunks[-1]["usage"] == {"prompt_tokens": 3, "completion_tokens": 9, "total_tokens": 12}


def _sse(*events: dict[str, Any]) -> bytes:
    return b"".join(
        b"event: " + e["type"].encode() + b"\ndata: " + orjson.dumps(e) + b"\n\n" for e in events
    )


def _args_delta(text: str) -> dict[str, Any]:
    delta = {"type": "input_json_delta", "partial_json": text}
    return {"type": "content_block_delta", "index": 0, "delta": delta}


def test_mid_stream_error_type_follows_the_client_format() -> None:
    translator = Translation("openai", "anthropic").events()
    (error,) = translator.feed([StreamError(529, "overloaded_error", "Overloaded")])
    assert error == StreamError(529, "server_error", "Overloaded")
    translator = Translation("anthropic", "openai").events()
    (error,) = translator.feed([StreamError(429, "rate_limit_exceeded", "slow down")])
    assert error == StreamError(429, "rate_limit_error", "slow down")


@pytest.mark.parametrize(
    ("client", "upstream", "status", "body", "expected"),
    [
        (
            "openai",
            "anthropic",
            529,
            b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
            {
                "error": {
                    "message": "Overloaded",
                    "type": "server_error",
                    "param": None,
                    "code": None,
                }
            },
        ),
        (
            "anthropic",
            "openai",
            401,
            b'{"error":{"message":"Incorrect API key","type":"invalid_request_error",'
            b'"param":null,"code":"invalid_api_key"}}',
            {
                "type": "error",
                "error": {"type": "authentication_error", "message": "Incorrect API key"},
            },
        ),
        (
            "anthropic",
            "openai",
            502,
            b"<html>Bad Gateway</html>",
            {
                "type": "error",
                "error": {"type": "api_error", "message": "<html>Bad Gateway</html>"},
            },
        ),
    ],
)
def test_upstream_error_status_in_the_client_shape(
    client: Any, upstream: Any, status: int, body: bytes, expected: dict[str, Any]
) -> None:
    error = Translation(client, upstream).error(UpstreamError(status, body))
    out_status, out_body, content_type = render_error(client, error)
    assert out_status == status and content_type == "application/json"
    assert orjson.loads(out_body) == expected


def test_a_format_without_an_adapter_is_a_400_naming_the_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wire.errors import InvalidRequest
    from wire.translation import ADAPTERS, translation_for

    assert translation_for("openai", "openai") is None
    assert translation_for("responses", "anthropic") is not None
    monkeypatch.delitem(ADAPTERS, "responses")
    with pytest.raises(InvalidRequest) as caught:
        translation_for("responses", "anthropic")
    assert caught.value.param == "model"
    assert "cannot translate responses requests" in caught.value.message
    assert caught.value.message.endswith("call it through /v1/messages")
