"""Spill files: appends, claiming for replay, locks between processes, torn lines."""

from __future__ import annotations

import orjson

from activity.spill import SpillStore


def _entries(*ids: str) -> list[dict]:
    return [{"id": i, "started_at": 1.0} for i in ids]


def test_appended_entries_are_replayed_in_order_then_removed(spill_dir):
    store = SpillStore(spill_dir)
    store.append(_entries("a", "b"))
    store.append(_entries("c"), sync=False)
    assert store.take_dirty() is True
    assert store.take_dirty() is False
    store.seal()
    [path] = store.pending()
    with store.try_claim(path) as handle:
        assert [[e["id"] for e in batch] for batch in handle.batches(2)] == [["a", "b"], ["c"]]
        handle.remove()
    assert store.pending() == []


def test_active_file_of_a_live_process_cannot_be_claimed(spill_dir):
    writer, replayer = SpillStore(spill_dir), SpillStore(spill_dir)
    writer.append(_entries("a"))
    [path] = replayer.pending()
    assert replayer.try_claim(path) is None  # still open and locked by its writer
    writer.close()
    handle = replayer.try_claim(path)
    assert handle is not None
    handle.close()


def test_claimed_file_cannot_be_claimed_twice(spill_dir):
    store = SpillStore(spill_dir)
    store.append(_entries("a"))
    store.seal()
    [path] = store.pending()
    first = store.try_claim(path)
    assert first is not None
    assert SpillStore(spill_dir).try_claim(path) is None
    first.remove()
    first.close()
    assert SpillStore(spill_dir).try_claim(path) is None  # gone


def test_appends_after_seal_go_to_a_new_file(spill_dir):
    store = SpillStore(spill_dir)
    store.append(_entries("a"))
    store.seal()
    store.append(_entries("b"))
    store.seal()
    assert len(store.pending()) == 2


def test_file_rotates_past_max_bytes(spill_dir):
    store = SpillStore(spill_dir, max_bytes=10)
    store.append(_entries("a"))
    store.append(_entries("b"))
    paths = store.pending()
    assert len(paths) == 2
    for path in paths:  # both sealed already
        handle = store.try_claim(path)
        assert handle is not None
        handle.close()


def test_torn_line_goes_to_a_rejected_file(spill_dir):
    store = SpillStore(spill_dir)
    store.append(_entries("a"))
    store.seal()
    [path] = store.pending()
    with path.open("ab") as stream:
        stream.write(b'{"id": "b", "started_')  # crash in the middle of a write
    with store.try_claim(path) as handle:
        assert [e["id"] for batch in handle.batches(10) for e in batch] == ["a"]
    [rejected] = spill_dir.glob("rejected-*.jsonl")
    line = orjson.loads(rejected.read_bytes().splitlines()[0])
    assert line["reason"] == "unreadable line"
    assert line["entry"]["raw"].startswith('{"id": "b"')


def test_rejected_entries_are_kept_but_never_replayed(spill_dir):
    store = SpillStore(spill_dir)
    store.reject(_entries("bad"), reason="IntegrityError")
    assert store.pending() == []
    [rejected] = spill_dir.glob("rejected-*.jsonl")
    assert orjson.loads(rejected.read_bytes())["entry"]["id"] == "bad"
