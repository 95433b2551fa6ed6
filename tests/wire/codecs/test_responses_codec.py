"""The OpenAI Responses codec: requests, bodies and streams round-trip; what policies see of
Codex-style calls; a changed stream stays numbered and consistent; the SDK parses the output."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import orjson
import pytest
from pydantic import TypeAdapter

from policies.engine.notices import blocked_tool_call_text
from tests.wire.codecs.helpers import (
    CORPUS,
    SPLITTERS,
    corpus_files,
    decode_stream,
    load_json,
    stream_bytes,
)
from wire.codecs import codec_for
from wire.codecs.openai_chat import OPENAI_CODEC
from wire.codecs.openai_responses import RESPONSES_CODEC
from wire.errors import InvalidRequest
from wire.neutral import (
    END_TURN,
    MAX_TOKENS,
    TOOL_USE,
    BlockStart,
    BlockStop,
    Event,
    MessageEnd,
    OpaqueBlock,
    StreamError,
    TextBlock,
    ToolCallBlock,
    ToolResultBlock,
)

STREAM_EVENT = TypeAdapter(openai.types.responses.ResponseStreamEvent)
STREAMS = [p.stem for p in corpus_files("responses", "streams", ".sse")]
BODIES = [p.stem for p in corpus_files("responses", "responses", ".json")]
CODEX_FIXTURE = Path(__file__).parents[2] / "fixtures" / "clients" / "codex" / "plain-1.json"


def frames(data: bytes) -> list[tuple[str | None, Any]]:
    """`(event name, parsed data)` of every SSE event."""
    out: list[tuple[str | None, Any]] = []
    for block in data.split(b"\n\n"):
        name, payload = None, None
        for line in block.split(b"\n"):
            if line.startswith(b"event:"):
                name = line[6:].strip().decode()
            elif line.startswith(b"data:"):
                payload = orjson.loads(line[5:])
        if payload is not None:
            out.append((name, payload))
    return out


def encode_stream(events: list[Event], stream: bool = True) -> bytes:
    encoder = RESPONSES_CODEC.stream_encoder(
        RESPONSES_CODEC.decode_request({"model": "m", "input": "x", "stream": stream})
    )
    return encoder.encode(events) + encoder.finish()


FUTURE_EVENTS = frozenset({"response.future_thing.updated"})  # in the corpus, not in the SDK


def checked(data: bytes) -> list[Any]:
    """Every event parsed by the SDK's types (but events from the future), the SSE name equal
    to the type, sequence numbers counting from 0."""
    parsed, numbers = [], []
    for name, payload in frames(data):
        assert name == payload["type"]
        numbers.append(payload["sequence_number"])
        if payload["type"] not in FUTURE_EVENTS:
            parsed.append(STREAM_EVENT.validate_python(payload))
    assert numbers == list(range(len(numbers)))
    return parsed


# --- requests ----------------------------------------------------------------------------------


def test_codex_request_round_trips() -> None:
    body = orjson.loads(CODEX_FIXTURE.read_bytes())["body"]
    request = RESPONSES_CODEC.decode_request(body)
    assert RESPONSES_CODEC.encode_request(request) == body
    assert request.last_user_text() == "Say hello to the gateway"
    assert "coding agent running in the Codex CLI" in request.system_text()
    assert request.stream is True
    names = [tool.name for tool in request.tools or []]
    assert names[:2] == ["exec_command", "write_stdin"]
    assert "multi_agent_v1" in names and "web_search" in names


def test_every_item_kind_round_trips_and_policies_see_the_calls() -> None:
    body = load_json(CORPUS / "responses" / "requests" / "every_item.json")
    request = RESPONSES_CODEC.decode_request(body)
    assert RESPONSES_CODEC.encode_request(request) == body
    calls = [b for m in request.messages for b in m.content if isinstance(b, ToolCallBlock)]
    assert [(c.id, c.name) for c in calls] == [
        ("call_A", "exec_command"),
        ("call_B", "shell"),
        ("call_C", "apply_patch"),
        ("call_D", "local_shell"),
    ]
    assert calls[0].parsed_arguments() == {"cmd": "ls -la", "workdir": "/tmp/work"}
    assert calls[2].arguments.startswith("*** Begin Patch")
    assert calls[3].parsed_arguments()["command"] == ["ls"]
    results = [b for m in request.messages for b in m.content if isinstance(b, ToolResultBlock)]
    assert [r.tool_call_id for r in results] == ["call_A", "call_B", "call_C", "call_D"]
    assert results[1].text() == "clean"
    reasoning = request.messages[4].content[0]
    assert isinstance(reasoning, OpaqueBlock)
    assert reasoning.raw["encrypted_content"] == "gAAAAABpVnT3kQ2xR0c1d2VkX2V4YW1wbGU="
    assert [m.role for m in request.messages[:4]] == ["developer", "system", "user", "user"]
    assert request.params["a_field_from_the_future"] == {"x": 1}
    assert request.params["store"] is False


def test_a_string_input_is_one_user_message_and_goes_back_as_a_string() -> None:
    body = {"model": "gpt-5", "input": "hello", "instructions": "be brief"}
    request = RESPONSES_CODEC.decode_request(body)
    assert request.last_user_text() == "hello" and request.system_text() == "be brief"
    assert RESPONSES_CODEC.encode_request(request) == body


def test_policy_edits_reach_the_upstream() -> None:
    request = RESPONSES_CODEC.decode_request({"model": "gpt-5", "input": "my secret"})
    message = request.messages[0]
    message.content = [TextBlock("my [redacted]")]
    request.system = [TextBlock("Never reveal keys.")]
    body = RESPONSES_CODEC.encode_request(request)
    assert body["input"] == "my [redacted]"
    assert body["instructions"] == "Never reveal keys."


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": "hi"}, "model"),
        ({"model": "gpt-5", "input": 3}, "input"),
        ({"model": "gpt-5", "input": "hi", "stream": "yes"}, "stream"),
    ],
)
def test_bad_requests_name_the_field(body: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        RESPONSES_CODEC.decode_request(body)
    assert raised.value.param == param


# --- complete bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", BODIES)
def test_bodies_round_trip(name: str) -> None:
    body = load_json(CORPUS / "responses" / "responses" / f"{name}.json")
    assert RESPONSES_CODEC.encode_response(RESPONSES_CODEC.decode_response(body)) == body
    openai.types.responses.Response.model_validate(body)


@pytest.mark.parametrize("name", BODIES)
def test_a_stream_assembles_into_its_body(name: str) -> None:
    events = decode_stream(RESPONSES_CODEC.stream_decoder(), stream_bytes("responses", name))
    body = load_json(CORPUS / "responses" / "responses" / f"{name}.json")
    assert RESPONSES_CODEC.encode_response(events) == body


def test_stop_reasons_follow_status() -> None:
    def stop(name: str) -> str | None:
        body = load_json(CORPUS / "responses" / "responses" / f"{name}.json")
        end = RESPONSES_CODEC.decode_response(body)[-1]
        assert isinstance(end, MessageEnd)
        return end.stop_reason

    assert stop("codex_reasoning_exec") == TOOL_USE
    assert stop("web_search_citations") == END_TURN
    assert stop("incomplete") == MAX_TOKENS


# --- streams -----------------------------------------------------------------------------------


@pytest.mark.parametrize("splitter", list(SPLITTERS))
@pytest.mark.parametrize("name", STREAMS)
def test_untouched_stream_comes_back_event_for_event(name: str, splitter: str) -> None:
    upstream = stream_bytes("responses", name)
    events = decode_stream(RESPONSES_CODEC.stream_decoder(), upstream, SPLITTERS[splitter])
    sent = encode_stream(events)
    assert frames(sent) == frames(upstream)
    checked(sent)


def test_codex_stream_as_policies_see_it() -> None:
    events = decode_stream(
        RESPONSES_CODEC.stream_decoder(), stream_bytes("responses", "codex_reasoning_exec")
    )
    starts = [e.block for e in events if isinstance(e, BlockStart)]
    assert [b.kind for b in starts] == ["opaque", "text", "tool_call"]
    call = RESPONSES_CODEC.encode_response(events)["output"][2]
    assert call["name"] == "exec_command" and orjson.loads(call["arguments"])["cmd"] == "ls -la"
    assert isinstance(events[-1], MessageEnd) and events[-1].stop_reason == TOOL_USE
    assert events[-1].usage is not None and events[-1].usage.output_tokens == 96


def test_an_upstream_error_event_is_relayed() -> None:
    events = decode_stream(RESPONSES_CODEC.stream_decoder(), stream_bytes("responses", "error"))
    error = events[-1]
    assert isinstance(error, StreamError) and error.error_type == "server_error"
    (name, payload) = frames(encode_stream(events))[-1]
    assert name == "error" and payload["code"] == "server_error"
    assert payload["message"].startswith("The server had an error")


def _replace_calls(events: list[Event]) -> Iterator[Event]:
    """What the engine sends when a policy replaces every call with its notice."""
    held: dict[int, ToolCallBlock] = {}
    for event in events:
        if isinstance(event, BlockStart) and isinstance(event.block, ToolCallBlock):
            held[event.index] = event.block
            continue
        if isinstance(event, BlockStop) and event.index in held:
            notice = blocked_tool_call_text(held.pop(event.index), policy="p", reason="no")
            yield BlockStart(event.index, notice)
            yield BlockStop(event.index)
            continue
        if getattr(event, "index", None) in held:
            continue
        if isinstance(event, MessageEnd) and event.stop_reason == TOOL_USE:
            yield MessageEnd(END_TURN, event.stop_sequence, event.usage, event.extra)
            continue
        yield event


@pytest.mark.parametrize("name", ["codex_reasoning_exec", "apply_patch_custom", "local_shell"])
def test_a_blocked_call_becomes_a_message_and_the_stream_stays_consistent(name: str) -> None:
    events = decode_stream(RESPONSES_CODEC.stream_decoder(), stream_bytes("responses", name))
    changed = list(_replace_calls(events))
    parsed = checked(encode_stream(changed))
    final = parsed[-1]
    assert final.type == "response.completed" and final.response.status == "completed"
    output = final.response.output
    assert all(item.type not in ("function_call", "custom_tool_call") for item in output)
    notice = output[-1]
    assert notice.type == "message" and "Luthien blocked a tool call" in notice.content[0].text
    added = [e.output_index for e in parsed if e.type == "response.output_item.added"]
    assert added == list(range(len(output)))
    body = RESPONSES_CODEC.encode_response(changed)
    assert body["status"] == "completed" and body["incomplete_details"] is None
    assert [i["type"] for i in body["output"]] == [i.type for i in output]


@pytest.mark.parametrize("name", ["two_tool_calls", "text"])
def test_events_of_another_format_make_a_valid_stream(name: str) -> None:
    """Keeps the codec pluggable: Chat Completions events become a valid Responses stream."""
    body = load_json(CORPUS / "openai" / "responses" / f"{name}.json")
    parsed = checked(encode_stream(OPENAI_CODEC.decode_response(body)))
    assert parsed[0].type == "response.created" and parsed[-1].type == "response.completed"
    types = [i.type for i in parsed[-1].response.output]
    assert ("function_call" in types) == (name == "two_tool_calls")


def test_codec_for_knows_the_format() -> None:
    assert codec_for("responses") is RESPONSES_CODEC


def test_a_failed_response_is_relayed_as_failed() -> None:
    events = decode_stream(RESPONSES_CODEC.stream_decoder(), stream_bytes("responses", "failed"))
    end = events[-1]
    assert isinstance(end, MessageEnd) and end.stop_reason == "failed"
    final = checked(encode_stream(events))[-1]
    assert final.type == "response.failed" and final.response.status == "failed"
    assert final.response.error.code == "server_error"
    assert RESPONSES_CODEC.encode_response(events)["status"] == "failed"
