"""Batch writes (idempotent, defensive) and retention purging, plus its command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from activity.models import Transaction, TransactionBody, TransactionEvent
from activity.recorder import record_entry
from activity.services import transaction_batch_create, transaction_purge
from gateway.models import ApiKey

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def _entry(make_record, days_ago: float = 0, **overrides) -> dict:
    started = (NOW - timedelta(days=days_ago)).timestamp()
    record = make_record(started_at=started, ended_at=started + 1, **overrides)
    return record_entry(record)


def test_batch_create_is_idempotent(make_record):
    decision = {"policy": "p", "action": "allowed"}
    entries = [_entry(make_record, decisions=[decision]) for _ in range(3)]
    first = transaction_batch_create(entries=entries)
    again = transaction_batch_create(entries=[*entries, entries[0]])
    assert (first.written, first.duplicates) == (3, 0)
    assert (again.written, again.duplicates) == (0, 4)
    assert Transaction.objects.count() == 3
    assert TransactionBody.objects.count() == 3
    assert TransactionEvent.objects.count() == 3


def test_batch_create_survives_a_deleted_key_and_long_values(make_record):
    key = ApiKey.objects.create(name="gone", prefix="p", secret_hash="h")
    key_id = key.id
    key.delete()
    entry = _entry(make_record, api_key_id=key_id, model="m" * 500, session_id="s" * 999)
    transaction_batch_create(entries=[entry])
    row = Transaction.objects.get()
    assert row.api_key_id is None
    assert len(row.model) == 200
    assert len(row.session_id) == 255


def test_blocked_flag_and_decision_count(make_record):
    rejected = _entry(make_record, status="blocked")
    allowed = _entry(make_record, decisions=[{"policy": "p", "action": "allowed"}])
    transaction_batch_create(entries=[rejected, allowed])
    assert Transaction.objects.get(id=rejected["id"]).blocked is True
    row = Transaction.objects.get(id=allowed["id"])
    assert (row.blocked, row.decision_count) == (False, 1)


def test_key_last_used_only_moves_forward(make_record):
    key = ApiKey.objects.create(name="k", prefix="p", secret_hash="h")
    recent = _entry(make_record, days_ago=1, api_key_id=key.id)
    older = _entry(make_record, days_ago=5, api_key_id=key.id)
    transaction_batch_create(entries=[recent])
    transaction_batch_create(entries=[older])  # e.g. a late spill replay
    key.refresh_from_db()
    assert key.last_used_at == NOW - timedelta(days=1) + timedelta(seconds=1)


@pytest.fixture
def aged(make_record) -> dict[str, str]:
    """Three calls: 400, 40 and 1 day old, each with one decision."""
    decision = {"policy": "p", "action": "allowed"}
    entries = {
        age: _entry(make_record, days_ago=days, decisions=[decision])
        for age, days in (("ancient", 400), ("old", 40), ("fresh", 1))
    }
    transaction_batch_create(entries=list(entries.values()))
    return {age: entry["id"] for age, entry in entries.items()}


def test_purge_removes_old_bodies_and_older_transactions(aged):
    counts = transaction_purge(body_days=30, metadata_days=365, now=NOW)
    assert counts == {"transactions": 1, "events": 1, "bodies": 2}
    assert set(Transaction.objects.values_list("id", flat=True)) == {aged["old"], aged["fresh"]}
    assert list(TransactionBody.objects.values_list("transaction_id", flat=True)) == [aged["fresh"]]
    assert TransactionEvent.objects.count() == 2


def test_purge_dry_run_only_counts(aged):
    counts = transaction_purge(body_days=30, metadata_days=365, now=NOW, dry_run=True)
    assert counts == {"transactions": 1, "events": 1, "bodies": 2}
    assert Transaction.objects.count() == 3
    assert TransactionBody.objects.count() == 3


def test_purge_with_shorter_metadata_retention_counts_bodies_once(aged):
    dry = transaction_purge(body_days=365, metadata_days=30, now=NOW, dry_run=True)
    real = transaction_purge(body_days=365, metadata_days=30, now=NOW)
    assert dry == real == {"transactions": 2, "events": 2, "bodies": 2}


def test_purge_command(aged, settings):
    settings.LUTHIEN_BODY_RETENTION_DAYS = 10_000
    settings.LUTHIEN_METADATA_RETENTION_DAYS = 10_000
    out = StringIO()
    call_command("purge_transactions", "--body-days", "0", "--dry-run", stdout=out)
    assert "Would delete 0 transactions, 0 events and 3 bodies" in out.getvalue()
    assert TransactionBody.objects.count() == 3

    call_command("purge_transactions", "--metadata-days", "0", stdout=out)
    assert "Deleted 3 transactions, 3 events and 3 bodies" in out.getvalue()
    assert Transaction.objects.count() == 0


def test_purge_command_refuses_negative_days(aged):
    with pytest.raises(CommandError):
        call_command("purge_transactions", "--body-days", "-1")
