"""The recorder's writer thread keeps its database connection across batches, checks it when it
may be stale, and replaces a broken one after the outage it causes, losing nothing."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pytest
from django.db import connection, connections

from activity.models import Transaction
from activity.recorder import Recorder, database
from tests.activity.conftest import wait_for

db = pytest.mark.django_db(transaction=True)


class ConnectionSpy:
    """The real database write, noting the writer thread's DB-API connection after each
    successful write; `break_next` closes that connection behind Django's back first, as a
    server that dropped it would."""

    def __init__(self) -> None:
        self.used: list[Any] = []  # strong references: ids of closed objects could be reused
        self.break_next = threading.Event()

    def __call__(self, entries: Sequence[dict[str, Any]]) -> Any:
        if self.break_next.is_set():
            self.break_next.clear()
            connections["default"].connection.close()
        result = database.database_write(entries)
        self.used.append(connections["default"].connection)
        return result

    def distinct(self) -> int:
        return len({id(raw) for raw in self.used})


def _write_one_by_one(rec: Recorder, records: list[Any]) -> None:
    for record in records:
        rec.submit(record)
        assert rec.flush()


@db
def test_the_writer_keeps_its_connection_across_batches(make_recorder, make_record):
    spy = ConnectionSpy()
    rec = make_recorder(write=spy)
    _write_one_by_one(rec, [make_record() for _ in range(4)])
    assert len(spy.used) == 4
    assert spy.distinct() == 1
    assert Transaction.objects.count() == 4


@db
def test_a_broken_connection_is_replaced_after_the_outage(make_recorder, make_record):
    spy = ConnectionSpy()
    rec = make_recorder(write=spy)
    records = [make_record() for _ in range(5)]
    _write_one_by_one(rec, records[:2])
    first = spy.used[-1]
    spy.break_next.set()
    _write_one_by_one(rec, records[2:3])  # fails on the dead connection: spilled
    assert rec.stats()["failures"] == 1
    assert wait_for(lambda: rec.spill_store.pending() == [])  # replayed on a new connection
    _write_one_by_one(rec, records[3:])
    assert set(Transaction.objects.values_list("id", flat=True)) == {r.id for r in records}
    assert spy.used[:2] == [first, first]
    assert all(raw is not first for raw in spy.used[2:])
    assert spy.distinct() == 2  # the new one is kept too
    stats = rec.stats()
    assert (stats["failures"], stats["spilled"], stats["replayed"]) == (1, 1, 1)
    assert stats["dropped"] == 0


@db
def test_an_idle_connection_is_checked_before_the_next_write(
    make_recorder, make_record, monkeypatch
):
    """Past `IDLE_CHECK_S`, Django's check runs first: a connection dropped while idle is
    replaced without a failed write (SQLite's is always replaced: `CONN_MAX_AGE` is 0)."""
    monkeypatch.setattr(database, "IDLE_CHECK_S", 0.0)
    spy = ConnectionSpy()
    rec = make_recorder(write=spy)
    _write_one_by_one(rec, [make_record()])
    spy.break_next.set()
    _write_one_by_one(rec, [make_record()])
    assert spy.distinct() == 2
    assert rec.stats()["failures"] == 0
    assert Transaction.objects.count() == 2


def test_the_connection_check_runs_only_when_it_may_be_stale(monkeypatch):
    checks = []
    monkeypatch.setattr("django.db.close_old_connections", lambda: checks.append(1))
    clock = database._WriterClock()
    monkeypatch.setattr(database, "_clock", clock)
    assert database.check_connection_if_stale(now=100.0)  # never used: check
    clock.last_write = 100.0
    assert not database.check_connection_if_stale(now=105.0)
    clock.last_write = 105.0
    assert database.check_connection_if_stale(now=115.5)  # idle for 10.5 s
    for second in range(116, 160):  # constant load: a write every second
        clock.last_write = second - 1
        assert not database.check_connection_if_stale(now=float(second))
    clock.last_write = 174.0
    assert database.check_connection_if_stale(now=175.5)  # checked 60 s ago
    assert len(checks) == 3


def _db_now() -> Any:
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def _other_backends(since: Any) -> int:
    """Connections of this database opened since `since`, other than this test's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_start >= %s",
            [since],
        )
        return cursor.fetchone()[0]


@db
def test_killed_postgres_connections_lose_nothing(postgres_url, make_recorder, make_record):
    since = _db_now()  # only the writer's connection is killed, not other tests' threads
    rec = make_recorder()
    rec.submit(make_record())
    assert rec.flush()
    with connection.cursor() as cursor:  # e.g. a database restart or failover
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_start >= %s",
            [since],
        )
    for _ in range(5):
        rec.submit(make_record())
    assert rec.flush()
    assert wait_for(lambda: Transaction.objects.count() == 6)
    assert rec.stats()["dropped"] == 0

    assert rec.close()
    assert wait_for(lambda: _other_backends(since) == 0)  # the writer closed its connection
