"""Records become JSON entries: bodies kept or assembled from events, values made JSON-safe."""

from __future__ import annotations

from typing import Any

import orjson

from activity.recorder.entries import jsonable, record_entry
from tests.activity.fakes import fake_codec_lookup
from wire.neutral import BlockStart, BlockStop, MessageEnd, MessageStart, TextBlock, TextDelta


def _events(text: str) -> list[Any]:
    return [
        MessageStart(id="msg_1", model="echo"),
        BlockStart(index=0, block=TextBlock()),
        TextDelta(index=0, text=text[:2]),
        TextDelta(index=0, text=text[2:]),
        BlockStop(index=0),
        MessageEnd(stop_reason="end_turn"),
    ]


def test_entry_keeps_set_bodies_and_drops_event_lists(make_record):
    record = make_record(response_events_final=_events("ignored"))
    entry = record_entry(record, codec_lookup=fake_codec_lookup)
    assert entry["v"] == 1  # a new version needs a reader for spill files of the old one
    assert entry["id"] == record.id
    assert entry["response_final"] == {"id": "r1", "choices": [{"text": "final"}]}
    assert "response_events_final" not in entry
    assert "response_events_original" not in entry
    assert orjson.loads(orjson.dumps(entry)) == entry


def test_entry_assembles_missing_bodies_from_events(make_record):
    record = make_record(
        response_original=None,
        response_final=None,
        response_events_original=_events("hello"),
        response_events_final=_events("HELLO"),
    )
    entry = record_entry(record, codec_lookup=fake_codec_lookup)
    assert entry["response_original"] == {"id": "msg_1", "text": "hello", "stop": "end_turn"}
    assert entry["response_final"] == {"id": "msg_1", "text": "HELLO", "stop": "end_turn"}


def test_entry_keeps_raw_events_when_the_codec_fails(make_record):
    def broken_lookup(client_format: str) -> Any:
        raise RuntimeError("no codec")

    record = make_record(response_final=None, response_events_final=_events("hi there"))
    body = record_entry(record, codec_lookup=broken_lookup)["response_final"]
    assert "no codec" in body["luthien_assembly_error"]
    kinds = [event["type"] for event in body["luthien_unassembled_events"]]
    assert kinds[0] == "message_start"
    assert kinds[-1] == "message_end"
    assert body["luthien_unassembled_events"][2] == {"type": "text_delta", "index": 0, "text": "hi"}


def test_no_events_and_no_body_stays_none(make_record):
    record = make_record(response_final=None)
    assert record_entry(record, codec_lookup=fake_codec_lookup)["response_final"] is None


def test_nul_characters_are_replaced_but_escaped_backslashes_kept():
    value = {"a": "x\x00y", "b": "literal \\u0000 text", "c": ["\\\x00"], "k\x00": 1}
    assert jsonable(value) == {
        "a": "x\ufffdy",
        "b": "literal \\u0000 text",
        "c": ["\\\ufffd"],
        "k\ufffd": 1,
    }


def test_unknown_objects_become_strings(make_record):
    class Score:
        def __str__(self) -> str:
            return "score 0.9"

    decision = {"policy": "judge", "action": "judged", "details": {"s": Score(), 3: {1, 2}}}
    entry = record_entry(make_record(decisions=[decision]), codec_lookup=fake_codec_lookup)
    assert entry["decisions"][0]["details"] == {"s": "score 0.9", "3": [1, 2]}


def test_unserializable_field_is_marked_not_fatal(make_record):
    entry = record_entry(make_record(input_tokens=2**70), codec_lookup=fake_codec_lookup)
    assert "luthien_unserializable" in entry["input_tokens"]
    assert entry["output_tokens"] == 3
