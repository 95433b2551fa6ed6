"""Anthropic answers translated for a Responses client: the response object, its stream events,
`status` / `incomplete_details`, usage, dropped reasoning and errors in the Responses shape."""

from __future__ import annotations

from typing import Any

import openai
import orjson
import pytest

from tests.wire.translation.helpers import translate_response
from tests.wire.translation.test_responses import ANTHROPIC_MESSAGE
from wire.codecs import codec_for
from wire.errors import UpstreamError, render_error
from wire.neutral import MessageEnd, MessageStart, StreamError, Usage
from wire.sse import SSEDecoder
from wire.translation import Translation


def test_anthropic_message_as_a_response_object() -> None:
    body, notes = translate_response("responses", "anthropic", ANTHROPIC_MESSAGE)
    parsed = openai.types.responses.Response.model_validate(body)
    assert parsed.status == "completed" and parsed.incomplete_details is None
    assert parsed.output_text == "Listing."
    calls = [item for item in body["output"] if item["type"] == "function_call"]
    assert [(c["call_id"], c["name"], c["arguments"]) for c in calls] == [
        ("toolu_1", "Bash", '{"command":"ls"}'),
        ("toolu_2", "Read", '{"path":"a"}'),
    ]
    assert [item["type"] for item in body["output"]] == ["message", *["function_call"] * 2]
    assert body["id"].startswith("resp_") and body["object"] == "response"
    assert body["usage"] == {
        "input_tokens": 100,
        "input_tokens_details": {"cached_tokens": 90, "cache_write_tokens": 0},
        "output_tokens": 5,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 105,
    }
    assert notes == ["thinking blocks of the answer were dropped (the client's format has none)"]


@pytest.mark.parametrize(
    ("stop", "status", "details"),
    [
        ("end_turn", "completed", None),
        ("stop_sequence", "completed", None),
        ("pause_turn", "completed", None),
        ("max_tokens", "incomplete", {"reason": "max_output_tokens"}),
        ("refusal", "incomplete", {"reason": "content_filter"}),
    ],
)
def test_stop_reasons_become_status(stop: str, status: str, details: Any) -> None:
    message = {**ANTHROPIC_MESSAGE, "content": [{"type": "text", "text": "x"}], "stop_reason": stop}
    body, _ = translate_response("responses", "anthropic", message)
    assert (body["status"], body["incomplete_details"]) == (status, details)
    assert body["output"][0]["status"] == ("incomplete" if status == "incomplete" else "completed")


def test_usage_counts_cache_writes_as_input() -> None:
    translator = Translation("responses", "anthropic").events()
    usage = {"input_tokens": 4, "output_tokens": 2, "cache_creation_input_tokens": 6}
    out = translator.feed(
        [MessageStart("m", "c"), MessageEnd("end_turn", None, Usage(4, 2, usage))]
    )
    end = out[-1]
    assert isinstance(end, MessageEnd) and end.usage is not None
    assert end.usage.raw is not None and end.usage.raw["input_tokens"] == 10
    assert end.usage.raw["total_tokens"] == 12
    assert end.usage.raw["input_tokens_details"] == {"cached_tokens": 0, "cache_write_tokens": 6}


def _sse(*events: dict[str, Any]) -> bytes:
    return b"".join(
        b"event: " + e["type"].encode() + b"\ndata: " + orjson.dumps(e) + b"\n\n" for e in events
    )


def _stream_events(sse: bytes) -> list[dict[str, Any]]:
    decoder = codec_for("anthropic").stream_decoder()
    translator = Translation("responses", "anthropic").events()
    request = codec_for("responses").decode_request({"model": "claude-x", "input": "a"})
    encoder = codec_for("responses").stream_encoder(request)
    events = translator.feed(decoder.feed(SSEDecoder().feed(sse)) + decoder.finish())
    raw = encoder.encode(events) + encoder.finish()
    return [
        orjson.loads(line[6:]) for line in raw.decode().splitlines() if line.startswith("data: ")
    ]


START = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-x",
    "content": [],
    "stop_reason": None,
    "stop_sequence": None,
    "usage": {"input_tokens": 3, "output_tokens": 1},
}


def test_anthropic_stream_as_responses_events() -> None:
    call = {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {}}
    thinking = {"type": "thinking", "thinking": "", "signature": ""}
    events = _stream_events(
        _sse(
            {"type": "message_start", "message": START},
            {"type": "content_block_start", "index": 0, "content_block": thinking},
            {"type": "content_block_delta", "index": 0,
             "delta": {"type": "thinking_delta", "thinking": "hm"}},
            {"type": "content_block_stop", "index": 0},
            {"type": "content_block_start", "index": 1,
             "content_block": {"type": "text", "text": ""}},
            {"type": "content_block_delta", "index": 1,
             "delta": {"type": "text_delta", "text": "Run"}},
            {"type": "content_block_delta", "index": 1,
             "delta": {"type": "text_delta", "text": "ning."}},
            {"type": "content_block_stop", "index": 1},
            {"type": "content_block_start", "index": 2, "content_block": call},
            {"type": "content_block_delta", "index": 2,
             "delta": {"type": "input_json_delta", "partial_json": '{"command":'}},
            {"type": "content_block_delta", "index": 2,
             "delta": {"type": "input_json_delta", "partial_json": '"ls"}'}},
            {"type": "content_block_stop", "index": 2},
            {"type": "message_delta", "delta": {"stop_reason": "tool_use"},
             "usage": {"output_tokens": 9}},
            {"type": "message_stop"},
        )
    )  # fmt: skip
    kinds = [e["type"] for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert not any("reasoning" in kind for kind in kinds)
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    args = [e for e in events if e["type"] == "response.function_call_arguments.done"]
    assert text == "Running." and args[0]["arguments"] == '{"command":"ls"}'
    final = openai.types.responses.Response.model_validate(events[-1]["response"])
    assert final.status == "completed" and final.output_text == "Running."
    assert [o.type for o in final.output] == ["message", "function_call"]
    assert events[-1]["response"]["usage"]["total_tokens"] == 12
    added = [e["output_index"] for e in events if e["type"] == "response.output_item.added"]
    assert added == [0, 1]


def test_anthropic_stream_cut_by_max_tokens_is_incomplete() -> None:
    events = _stream_events(
        _sse(
            {"type": "message_start", "message": START},
            {"type": "content_block_start", "index": 0,
             "content_block": {"type": "text", "text": ""}},
            {"type": "content_block_delta", "index": 0,
             "delta": {"type": "text_delta", "text": "abc"}},
            {"type": "content_block_stop", "index": 0},
            {"type": "message_delta", "delta": {"stop_reason": "max_tokens"},
             "usage": {"output_tokens": 3}},
            {"type": "message_stop"},
        )
    )  # fmt: skip
    assert events[-1]["type"] == "response.incomplete"
    assert events[-1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}


def test_mid_stream_error_is_a_responses_error_event() -> None:
    translator = Translation("responses", "anthropic").events()
    out = translator.feed([StreamError(529, "overloaded_error", "Overloaded")])
    assert out == [StreamError(529, "server_error", "Overloaded")]
    events = _stream_events(
        _sse(
            {"type": "message_start", "message": START},
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
        )
    )
    assert events[-1]["type"] == "error" and events[-1]["message"] == "Overloaded"
    assert events[-1]["code"] == "server_error"


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (400, b'{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}',
         "invalid_request_error"),
        (429, b'{"type":"error","error":{"type":"rate_limit_error","message":"slow"}}',
         "rate_limit_error"),
        (529, b'{"type":"error","error":{"type":"overloaded_error","message":"busy"}}',
         "server_error"),
    ],
)  # fmt: skip
def test_upstream_error_status_in_the_responses_shape(status: int, body: bytes, kind: str) -> None:
    error = Translation("responses", "anthropic").error(UpstreamError(status, body))
    out_status, out_body, _ = render_error("responses", error)
    message = orjson.loads(body)["error"]["message"]
    assert out_status == status
    assert orjson.loads(out_body) == {
        "error": {"message": message, "type": kind, "param": None, "code": None}
    }
