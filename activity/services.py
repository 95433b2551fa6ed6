"""Writes to the transaction log: storing recorder batches and purging old data.

`transaction_batch_create` is called by the recorder's background writer only (never on the
client's path); `transaction_purge` by the `purge_transactions` command.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from activity.bulk_insert import insert_ignoring_conflicts
from activity.models import Transaction, TransactionBody, TransactionEvent
from gateway.models import ApiKey

Entry = Mapping[str, Any]
_LOOKUP_CHUNK = 500
_PURGE_CHUNK = 2000
_BODY_FIELDS = ("request_original", "request_final", "response_original", "response_final")


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What a batch write did: rows created, and entries skipped because already stored."""

    written: int
    duplicates: int


def transaction_batch_create(*, entries: Sequence[Entry]) -> BatchResult:
    """Store recorder entries (see `activity.recorder.entries`) in one database transaction.

    Idempotent: entries whose id is already stored (or repeated in the batch) are skipped, so
    replaying a spill file twice is harmless. Also moves `ApiKey.last_used_at` forward, one
    UPDATE per key. Raises the database's errors; the caller decides to retry or spill.
    """
    unique = list({entry["id"]: entry for entry in entries}.values())
    with transaction.atomic():
        stored = _existing_ids([entry["id"] for entry in unique])
        fresh = [entry for entry in unique if entry["id"] not in stored]
        live_keys = _existing_key_ids(fresh)
        insert_ignoring_conflicts(
            Transaction, [_transaction_row(entry, live_keys) for entry in fresh]
        )
        insert_ignoring_conflicts(TransactionBody, [_body_row(entry) for entry in fresh])
        TransactionEvent.objects.bulk_create(
            [row for entry in fresh for row in _event_rows(entry)], ignore_conflicts=True
        )
        _touch_keys(fresh, live_keys)
    return BatchResult(written=len(fresh), duplicates=len(entries) - len(fresh))


def transaction_purge(
    *, body_days: int, metadata_days: int, now: datetime | None = None, dry_run: bool = False
) -> dict[str, int]:
    """Delete bodies of calls older than `body_days` and whole calls (with their events and
    bodies) older than `metadata_days`. Returns counts; `dry_run` only counts."""
    now = now or timezone.now()
    meta_cutoff = now - timedelta(days=metadata_days)
    body_cutoff = max(now - timedelta(days=body_days), meta_cutoff)  # a deleted call loses its body
    old = Transaction.objects.filter(started_at__lt=meta_cutoff)
    old_bodies = TransactionBody.objects.filter(transaction__started_at__lt=body_cutoff)
    if dry_run:
        return {
            "transactions": old.count(),
            "events": TransactionEvent.objects.filter(transaction__in=old).count(),
            "bodies": old_bodies.count(),
        }
    counts = {"transactions": 0, "events": 0, "bodies": 0}
    for deleted in _delete_in_chunks(old):
        counts["transactions"] += deleted.get("activity.Transaction", 0)
        counts["events"] += deleted.get("activity.TransactionEvent", 0)
        counts["bodies"] += deleted.get("activity.TransactionBody", 0)
    for deleted in _delete_in_chunks(old_bodies):
        counts["bodies"] += deleted.get("activity.TransactionBody", 0)
    return counts


def _delete_in_chunks(queryset: models.QuerySet[Any]) -> Iterable[dict[str, int]]:
    """Delete a queryset a chunk of primary keys at a time (short locks on big tables)."""
    model = queryset.model
    while True:
        pks = list(queryset.order_by().values_list("pk", flat=True)[:_PURGE_CHUNK])
        if not pks:
            return
        with transaction.atomic():
            _, per_model = model.objects.filter(pk__in=pks).delete()
        yield per_model


def _existing_ids(ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        chunk = ids[start : start + _LOOKUP_CHUNK]
        found.update(Transaction.objects.filter(id__in=chunk).values_list("id", flat=True))
    return found


def _existing_key_ids(entries: Iterable[Entry]) -> set[int]:
    """Ids of the API keys still present (a key deleted meanwhile must not break the batch)."""
    ids = {entry.get("api_key_id") for entry in entries} - {None}
    if not ids:
        return set()
    return set(ApiKey.objects.filter(id__in=ids).values_list("id", flat=True))


def _touch_keys(entries: Iterable[Entry], live_keys: set[int]) -> None:
    latest: dict[int, float] = {}
    for entry in entries:
        key_id = entry.get("api_key_id")
        if key_id in live_keys:
            at = entry.get("ended_at") or entry["started_at"]
            latest[key_id] = max(at, latest.get(key_id, at))
    for key_id, at in latest.items():
        when = _datetime(at)
        older = Q(last_used_at__isnull=True) | Q(last_used_at__lt=when)
        ApiKey.objects.filter(older, id=key_id).update(last_used_at=when)


def _transaction_row(entry: Entry, live_keys: set[int]) -> dict[str, Any]:
    decisions = _decisions(entry)
    key_id = entry.get("api_key_id")
    status = str(entry.get("status") or "completed")
    return {
        "id": entry["id"],
        "started_at": _datetime(entry["started_at"]),
        "first_byte_at": _optional_datetime(entry.get("first_byte_at")),
        "ended_at": _optional_datetime(entry.get("ended_at")),
        "client_format": _text(entry, "client_format"),
        "endpoint": _text(entry, "endpoint"),
        "model": _text(entry, "model"),
        "upstream": _text(entry, "upstream"),
        "upstream_model": _text(entry, "upstream_model"),
        "upstream_format": _text(entry, "upstream_format"),
        "stream": bool(entry.get("stream")),
        "status": _clip(status, Transaction, "status"),
        "http_status": entry.get("http_status") or 0,
        "error": entry.get("error") or "",
        "api_key_id": key_id if key_id in live_keys else None,
        "api_key_name": _text(entry, "api_key_name"),
        "session_id": _text(entry, "session_id"),
        "policy_name": _text(entry, "policy_name"),
        "policy_version": entry.get("policy_version") or 0,
        "policy_overridden": bool(entry.get("policy_overridden")),
        "input_tokens": entry.get("input_tokens"),
        "output_tokens": entry.get("output_tokens"),
        "latency_ms": entry.get("latency_ms"),
        "overhead_ms": entry.get("overhead_ms"),
        "blocked": status == "blocked" or any(d.get("action") == "blocked" for d in decisions),
        "decision_count": len(decisions),
    }


def _body_row(entry: Entry) -> dict[str, Any]:
    return {"transaction_id": entry["id"], **{name: entry.get(name) for name in _BODY_FIELDS}}


def _event_rows(entry: Entry) -> list[TransactionEvent]:
    fallback_at = entry.get("ended_at") or entry["started_at"]
    return [
        TransactionEvent(
            transaction_id=entry["id"],
            seq=seq,
            at=_datetime(decision.get("at") or fallback_at),
            policy=_clip(str(decision.get("policy") or ""), TransactionEvent, "policy"),
            action=_clip(str(decision.get("action") or ""), TransactionEvent, "action"),
            reason=str(decision.get("reason") or ""),
            details=decision.get("details") or {},
        )
        for seq, decision in enumerate(_decisions(entry))
    ]


def _decisions(entry: Entry) -> list[Mapping[str, Any]]:
    return [d for d in entry.get("decisions") or [] if isinstance(d, Mapping)]


def _text(entry: Entry, name: str) -> str:
    """A CharField value, clipped to the column's length (PostgreSQL would refuse the row)."""
    return _clip(str(entry.get(name) or ""), Transaction, name)


def _clip(value: str, model: type[models.Model], name: str) -> str:
    max_length = _max_length(model, name)
    return value[:max_length] if max_length else value


@cache
def _max_length(model: type[models.Model], name: str) -> int | None:
    return getattr(model._meta.get_field(name), "max_length", None)


def _datetime(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def _optional_datetime(timestamp: float | None) -> datetime | None:
    return None if timestamp is None else _datetime(timestamp)
