"""Reads of the transaction log for the history pages and the debug API.

    TransactionFilters            the list filters, parsed from a query string
    transaction_list(filters=)    filtered `Transaction` rows, newest first (never bodies)
    transaction_page(...)         one page of that list without a COUNT(*) over the table
    transaction_detail(id=)       one transaction with its body and decision events

Only a text search touches bodies, through a subquery on `TransactionBody` that returns ids:
the list query itself reads `Transaction` columns only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from activity.models import Transaction, TransactionBody
from gateway.transaction_record import STATUSES
from wire.routes import recorded_endpoints

BODY_FIELDS = ("request_original", "request_final", "response_original", "response_final")
RANGES: dict[str, timedelta] = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class TransactionFilters:
    """What the history list may be filtered by; empty values filter nothing."""

    q: str = ""
    status: str = ""
    model: str = ""
    key: str = ""
    policy: str = ""
    endpoint: str = ""
    blocked: bool = False
    range: str = ""
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def from_query(cls, query: QueryDict | dict[str, str]) -> TransactionFilters:
        """Parse a query string leniently: unknown or malformed values are ignored."""

        def text(name: str, limit: int = 200) -> str:
            return str(query.get(name) or "").strip()[:limit]

        status = text("status")
        window = text("range")
        endpoint = text("endpoint")
        return cls(
            q=text("q", 500),
            status=status if status in STATUSES else "",
            model=text("model"),
            key=text("key"),
            policy=text("policy"),
            endpoint=endpoint if endpoint in recorded_endpoints() else "",
            blocked=text("blocked").lower() in ("1", "true", "on", "yes"),
            range=window if window in RANGES else "",
            since=_moment(text("since")),
            until=_moment(text("until")),
        )

    def as_query(self) -> dict[str, str]:
        """The non-empty filters as query parameters (for pagination links)."""
        params: dict[str, str] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if value in ("", None, False):
                continue
            if isinstance(value, datetime):
                params[spec.name] = value.strftime("%Y-%m-%dT%H:%M")
            elif value is True:
                params[spec.name] = "1"
            else:
                params[spec.name] = str(value)
        return params

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.as_query())


def _moment(value: str) -> datetime | None:
    """A datetime from `YYYY-MM-DDTHH:MM[:SS]` (an `<input type=datetime-local>`), as UTC if
    naive; None if empty or malformed."""
    if not value:
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def transaction_list(
    *, filters: TransactionFilters, now: datetime | None = None
) -> QuerySet[Transaction]:
    """Transactions matching `filters`, newest first. Bodies are never loaded."""
    rows = Transaction.objects.all()
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.model:
        rows = rows.filter(model__icontains=filters.model)
    if filters.key:
        rows = rows.filter(api_key_name__icontains=filters.key)
    if filters.policy:
        rows = rows.filter(policy_name__icontains=filters.policy)
    if filters.endpoint:
        rows = rows.filter(endpoint=filters.endpoint)
    if filters.blocked:
        rows = rows.filter(blocked=True)
    if filters.range:
        rows = rows.filter(started_at__gte=(now or timezone.now()) - RANGES[filters.range])
    if filters.since:
        rows = rows.filter(started_at__gte=filters.since)
    if filters.until:
        rows = rows.filter(started_at__lte=filters.until)
    if filters.q:
        rows = rows.filter(_search(filters.q))
    return rows.order_by("-started_at", "-id")


def _search(text: str) -> Q:
    """A transaction id (or its start), or text in any of the four bodies.

    Bodies are compared as JSON text, so the needle is also tried in its JSON-escaped forms
    (SQLite stores `\\u00e9` for `é`; quotes are escaped in both databases)."""
    needles = {text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}
    body_match = Q()
    for name in BODY_FIELDS:
        for needle in needles:
            body_match |= Q(**{f"_text_{name}__icontains": needle})
    annotations = {f"_text_{name}": Cast(name, TextField()) for name in BODY_FIELDS}
    matching = TransactionBody.objects.annotate(**annotations).filter(body_match)
    by_id = Q(id__startswith=text.lower()) if len(text) >= 6 else Q(id=text.lower())
    return by_id | Q(id__in=matching.values("transaction_id"))


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list: its rows, its number, and whether there are pages around it."""

    rows: list[Transaction]
    number: int
    size: int
    has_previous: bool
    has_next: bool


def transaction_page(
    *, rows: QuerySet[Transaction], number: int = 1, size: int = PAGE_SIZE
) -> Page:
    """Page `number` (1-based) of `rows`: fetches one extra row to know whether a next page
    exists, so no COUNT(*) runs over a large table."""
    number = max(1, number)
    size = min(max(1, size), MAX_PAGE_SIZE)
    start = (number - 1) * size
    fetched = list(rows[start : start + size + 1])
    return Page(
        rows=fetched[:size],
        number=number,
        size=size,
        has_previous=number > 1,
        has_next=len(fetched) > size,
    )


def transaction_recent(*, limit: int = 50) -> list[Transaction]:
    """The latest transactions (no bodies), at most `MAX_PAGE_SIZE`."""
    limit = min(max(1, limit), MAX_PAGE_SIZE)
    return list(Transaction.objects.order_by("-started_at", "-id")[:limit])


def transaction_detail(*, transaction_id: str) -> Transaction | None:
    """One transaction with its body (None if it has none) and its events in order."""
    row = (
        Transaction.objects.filter(id=transaction_id)
        .select_related("body")
        .prefetch_related("events")
        .first()
    )
    return row


def transaction_body(transaction: Transaction) -> TransactionBody | None:
    """The bodies of a transaction loaded by `transaction_detail`, or None (purged, missing)."""
    try:
        return transaction.body
    except TransactionBody.DoesNotExist:
        return None


def transaction_as_dict(transaction: Transaction) -> dict[str, Any]:
    """The metadata columns of a transaction as JSON-ready data (no bodies, no events)."""
    data: dict[str, Any] = {}
    for field in Transaction._meta.concrete_fields:
        value = getattr(transaction, field.attname)
        data[field.attname] = value.isoformat() if isinstance(value, datetime) else value
    return data


def transaction_first_for_policy(
    *, policy_name: str, version: int, after: datetime
) -> dict[str, Any] | None:
    """The first transaction handled by `policy_name` v`version` that started at or after
    `after` (id, status, model, started_at), or None. Reads no bodies."""
    row = (
        Transaction.objects.filter(
            policy_name=policy_name, policy_version=version, started_at__gte=after
        )
        .order_by("started_at")
        .values("id", "status", "model", "started_at")
        .first()
    )
    return dict(row) if row else None
