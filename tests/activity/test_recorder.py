"""The recorder: batches into the database, never blocks, spills while the database is down and
replays afterwards (also across restarts), idempotently."""

from __future__ import annotations

import time
from unittest import mock

import orjson
import pytest
from django.db import OperationalError

from activity import services
from activity.models import Transaction, TransactionBody, TransactionEvent
from activity.recorder import Recorder, record_entry, recorder, reset_recorder
from activity.spill import SpillStore
from gateway.models import ApiKey
from tests.activity.conftest import wait_for
from tests.activity.fakes import SwitchableWrite, fake_codec_lookup
from wire.neutral import BlockStart, BlockStop, MessageEnd, MessageStart, TextBlock, TextDelta

db = pytest.mark.django_db(transaction=True)


def _key() -> ApiKey:
    return ApiKey.objects.create(name="ci", prefix="abcd1234", secret_hash="0" * 64)


@db
def test_records_are_written_with_bodies_and_events(make_recorder, make_record):
    key = _key()
    decisions = [
        {"policy": "judge", "action": "judged", "reason": "score", "details": {"s": 0.2}},
        {"policy": "judge", "action": "blocked", "reason": "rm -rf", "at": 2.0},
    ]
    record = make_record(api_key_id=key.id, api_key_name="ci", decisions=decisions, stream=True)
    rec = make_recorder()
    rec.submit(record)
    assert rec.flush()

    row = Transaction.objects.get(id=record.id)
    assert (row.model, row.status, row.stream) == ("mock/echo", "completed", True)
    assert row.api_key_id == key.id
    assert row.blocked is True
    assert row.decision_count == 2
    assert row.started_at.timestamp() == pytest.approx(record.started_at, abs=1e-3)
    assert row.body.request_final == record.request_final
    assert row.body.response_final == record.response_final
    events = list(row.events.order_by("seq").values_list("seq", "action", "reason", "at"))
    assert [event[:3] for event in events] == [(0, "judged", "score"), (1, "blocked", "rm -rf")]
    assert events[0][3].timestamp() == pytest.approx(record.ended_at, abs=1e-3)  # no "at"
    assert events[1][3].timestamp() == 2.0
    key.refresh_from_db()
    assert key.last_used_at.timestamp() == pytest.approx(record.ended_at, abs=1e-3)
    assert rec.stats()["written"] == 1
    assert rec.stats()["dropped"] == 0


@db
def test_streamed_response_bodies_are_assembled_by_the_writer(make_recorder, make_record):
    events = [
        MessageStart(id="msg_9", model="echo"),
        BlockStart(index=0, block=TextBlock()),
        TextDelta(index=0, text="streamed"),
        BlockStop(index=0),
        MessageEnd(stop_reason="end_turn"),
    ]
    record = make_record(response_final=None, response_events_final=events)
    rec = make_recorder(codec_lookup=fake_codec_lookup)
    rec.submit(record)
    assert rec.flush()
    body = TransactionBody.objects.get(transaction_id=record.id)
    assert body.response_final == {"id": "msg_9", "text": "streamed", "stop": "end_turn"}


@db
def test_records_are_written_in_batches(make_recorder, make_record):
    write = SwitchableWrite()
    rec = make_recorder(write=write, batch_size=3, flush_interval=0.5)
    for _ in range(7):
        rec.submit(make_record())
    assert rec.flush()
    assert sum(write.batches) == 7
    assert max(write.batches) <= 3
    assert Transaction.objects.count() == 7


@db
def test_full_batches_are_written_without_waiting_for_the_interval(make_recorder, make_record):
    """Faster than one batch per interval: queued full batches go out back to back (a writer
    that slept the interval before every batch would fall behind and fill the queue)."""
    write = SwitchableWrite()
    write.gate.clear()  # the first batch waits at the gate while the others queue up
    rec = make_recorder(write=write, batch_size=10, flush_interval=30.0)
    rec.submit(make_record())
    assert wait_for(lambda: write.entered.is_set() or rec.flush(timeout=0.05), timeout=5)
    assert write.entered.is_set()
    for _ in range(30):
        rec.submit(make_record())
    write.gate.set()
    assert wait_for(lambda: sum(write.batches) == 31, timeout=10)
    assert write.batches == [1, 10, 10, 10]


@db
def test_a_lone_record_is_written_after_the_flush_interval(make_recorder, make_record):
    rec = make_recorder(batch_size=100, flush_interval=0.05)
    rec.submit(make_record())
    assert wait_for(lambda: Transaction.objects.count() == 1, timeout=5)


@db
def test_full_queue_spills_instead_of_blocking(make_recorder, make_record):
    write = SwitchableWrite()
    write.gate.clear()  # the database "hangs"
    rec = make_recorder(write=write, queue_size=2, batch_size=1, scan_interval=0.1)
    rec.submit(make_record())
    assert write.entered.wait(5)  # the writer holds record 1; the queue is empty
    for _ in range(7):  # a blocking submit would hang here: the writer never gets through
        rec.submit(make_record())
    stats = rec.stats()
    assert (stats["submitted"], stats["queued"]) == (8, 2)
    assert (stats["overflow"], stats["spilled"]) == (5, 5)

    write.gate.set()  # the database answers again
    assert rec.flush()
    assert wait_for(lambda: Transaction.objects.count() == 8)
    assert wait_for(lambda: rec.spill_store.pending() == [])
    stats = rec.stats()
    assert (stats["written"], stats["replayed"], stats["dropped"]) == (8, 5, 0)


@db
def test_queued_bodies_are_bounded_in_bytes_and_batches_too(make_recorder, make_record):
    """Agent requests reach megabytes: past the byte budget a record spills at once instead of
    holding memory, and the writer takes batches of at most an eighth of the budget."""
    body = b'{"messages":[' + b'"x",' * 250_000 + b'"x"]}'  # about 1 MB
    write = SwitchableWrite()
    write.gate.clear()  # the database "hangs"
    rec = make_recorder(write=write, queue_bytes=5 * len(body), batch_size=100)
    rec.submit(make_record(request_original=body))
    assert write.entered.wait(5)  # the writer holds record 1; the queue is empty
    for _ in range(5):  # a record counts about 2 MB (its request twice): two fit in 5 MB
        rec.submit(make_record(request_original=body))
    stats = rec.stats()
    assert (stats["submitted"], stats["queued"]) == (6, 2)
    assert (stats["overflow"], stats["spilled"]) == (3, 3)

    write.gate.set()
    assert rec.flush()
    assert wait_for(lambda: Transaction.objects.count() == 6)
    # An eighth of the budget per batch: the three records that went through the queue are
    # written one per batch (unbounded, the two queued ones would share one); the three
    # spilled ones come back from their spill file in one replay batch.
    assert sorted(write.batches) == [1, 1, 1, 3]


@db
def test_database_down_spills_then_replays_everything(make_recorder, make_record):
    """The real write path, its bulk insert failing like a lost connection."""
    outage = True
    real_insert = services.insert_ignoring_conflicts

    def insert(*args, **kwargs):
        if outage:
            raise OperationalError("server closed the connection unexpectedly")
        return real_insert(*args, **kwargs)

    rec = make_recorder(batch_size=4)
    records = [make_record(decisions=[{"policy": "p", "action": "allowed"}]) for _ in range(10)]
    with mock.patch.object(services, "insert_ignoring_conflicts", side_effect=insert):
        for record in records[:6]:
            rec.submit(record)
        assert rec.flush()  # flushed into the spill file
        time.sleep(0.3)  # a few retries fail meanwhile
        for record in records[6:]:
            rec.submit(record)
        assert rec.flush()
        assert Transaction.objects.count() == 0
        assert rec.spill_store.pending() != []
        stats = rec.stats()
        assert stats["spilled"] == 10
        assert stats["failures"] >= 2
        assert stats["written"] == 0

        outage = False  # the database is back
        assert wait_for(lambda: rec.spill_store.pending() == [])

    assert set(Transaction.objects.values_list("id", flat=True)) == {r.id for r in records}
    assert TransactionBody.objects.count() == 10
    assert TransactionEvent.objects.count() == 10
    stats = rec.stats()
    assert (stats["submitted"], stats["written"], stats["replayed"]) == (10, 10, 10)
    assert stats["dropped"] == 0
    assert stats["rejected"] == 0


@db
def test_outage_with_a_switchable_write_keeps_accepting(make_recorder, make_record):
    write = SwitchableWrite()
    write.down.set()
    rec = make_recorder(write=write)
    for _ in range(25):
        rec.submit(make_record())
        time.sleep(0.005)
    assert rec.flush()
    assert rec.stats()["spilled"] == 25
    write.down.clear()
    assert wait_for(lambda: Transaction.objects.count() == 25)
    assert wait_for(lambda: rec.spill_store.pending() == [])
    assert rec.stats()["dropped"] == 0


@db
def test_leftover_spill_files_are_replayed_at_start(make_recorder, make_record, spill_dir):
    previous = SpillStore(spill_dir)  # a process that died with the database down
    records = [make_record() for _ in range(3)]
    previous.append([record_entry(r) for r in records])
    previous.close()

    rec = make_recorder()
    rec.start()
    assert wait_for(lambda: Transaction.objects.count() == 3)
    assert wait_for(lambda: rec.spill_store.pending() == [])
    assert rec.stats()["replayed"] == 3


@db
def test_files_of_live_processes_wait_until_released(make_recorder, make_record, spill_dir):
    other = SpillStore(spill_dir)  # another worker, still writing its spill file
    other.append([record_entry(make_record())])
    rec = make_recorder(scan_interval=0.05)
    rec.start()
    time.sleep(0.3)
    assert Transaction.objects.count() == 0
    other.close()  # that worker sealed its file (or died)
    assert wait_for(lambda: Transaction.objects.count() == 1)


@db
def test_replay_is_idempotent(make_recorder, make_record, spill_dir):
    stored = make_record(decisions=[{"policy": "p", "action": "rewrote"}])
    rec = make_recorder()
    rec.submit(stored)
    assert rec.close()

    new = make_record()
    leftover = SpillStore(spill_dir)
    entries = [record_entry(stored), record_entry(new), record_entry(stored)]
    leftover.append(entries)
    leftover.close()

    again = make_recorder()
    again.start()
    assert wait_for(lambda: again.spill_store.pending() == [])
    assert Transaction.objects.count() == 2
    assert TransactionEvent.objects.filter(transaction_id=stored.id).count() == 1
    stats = again.stats()
    assert (stats["written"], stats["duplicates"], stats["replayed"]) == (1, 2, 3)


@db
def test_bad_record_is_rejected_not_holding_back_the_batch(make_recorder, make_record, spill_dir):
    good = [make_record(), make_record()]
    bad = make_record(http_status=-1)  # violates the column's CHECK constraint
    rec = make_recorder(flush_interval=0.3)
    for record in (good[0], bad, good[1]):
        rec.submit(record)
    assert rec.flush()
    assert set(Transaction.objects.values_list("id", flat=True)) == {r.id for r in good}
    stats = rec.stats()
    assert (stats["written"], stats["rejected"], stats["dropped"]) == (2, 1, 0)
    [rejected] = spill_dir.glob("rejected-*.jsonl")
    assert orjson.loads(rejected.read_bytes())["entry"]["id"] == bad.id
    assert rec.spill_store.pending() == []


@db
def test_close_flushes_stops_the_thread_and_later_submits_spill(make_recorder, make_record):
    rec = make_recorder()
    rec.submit(make_record())
    assert rec.close()
    assert Transaction.objects.count() == 1
    assert rec._thread is not None
    assert not rec._thread.is_alive()

    late = make_record()
    rec.submit(late)  # e.g. a stream that ended during shutdown
    assert rec.stats()["spilled"] == 1
    assert rec.close()

    successor = make_recorder()
    successor.start()
    assert wait_for(lambda: Transaction.objects.filter(id=late.id).exists())


def test_flush_with_nothing_submitted_returns_at_once(make_recorder):
    rec = make_recorder()
    assert rec.flush(timeout=0)  # nothing to wait for: done without waiting at all


def test_recording_off_makes_submit_a_no_op(make_recorder, make_record, spill_dir):
    rec = make_recorder(enabled=False)
    rec.submit(make_record())
    assert rec.stats()["submitted"] == 0
    assert rec.flush()
    assert not spill_dir.exists()


def test_submit_never_raises(make_recorder):
    rec = make_recorder()
    rec.close()
    rec.submit(object())  # type: ignore[arg-type]  # not even a record
    assert rec.stats()["dropped"] == 1


def test_recorder_is_a_lazy_singleton_built_from_settings(settings, spill_dir):
    settings.LUTHIEN_RECORDING = False
    settings.LUTHIEN_SPILL_DIR = str(spill_dir)
    with mock.patch("atexit.register") as register:
        first = recorder()
        assert recorder() is first
    register.assert_called_once_with(first.close)
    assert first.enabled is False
    assert first.spill_store.directory == spill_dir
    with mock.patch.object(first, "close", wraps=first.close) as close:
        reset_recorder()
    close.assert_called_once()  # flushed and stopped, not just forgotten
    assert recorder() is not first


def test_from_settings_accepts_overrides(settings, spill_dir):
    rec = Recorder.from_settings(spill_dir=spill_dir, queue_size=3)
    assert rec.spill_store.directory == spill_dir
    assert rec.close()
