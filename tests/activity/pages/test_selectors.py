"""Selectors of the history: filters, search, pagination, and list queries that skip bodies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activity.selectors import (
    TransactionFilters,
    transaction_detail,
    transaction_list,
    transaction_page,
    transaction_recent,
)
from tests.activity.pages.factories import make_transaction, openai_reply, openai_request

pytestmark = pytest.mark.django_db


def ids(filters: TransactionFilters) -> set[str]:
    return set(transaction_list(filters=filters).values_list("id", flat=True))


def test_filters_by_status_model_key_policy_and_blocked() -> None:
    a = make_transaction(status="completed", model="mock/echo", key="alice", policy="noop")
    b = make_transaction(status="blocked", model="gpt-4o", key="bob", policy="tool-judge")
    c = make_transaction(
        status="completed", model="gpt-4o-mini", key="bob", policy="rules", blocked=True
    )
    assert ids(TransactionFilters(status="blocked")) == {b.id}
    assert ids(TransactionFilters(model="GPT-4O")) == {b.id, c.id}
    assert ids(TransactionFilters(key="bob")) == {b.id, c.id}
    assert ids(TransactionFilters(policy="judge")) == {b.id}
    assert ids(TransactionFilters(blocked=True)) == {b.id, c.id}
    assert ids(TransactionFilters(status="completed", key="alice")) == {a.id}
    assert ids(TransactionFilters()) == {a.id, b.id, c.id}


def test_time_range_and_since_until() -> None:
    now = timezone.now()
    old = make_transaction(started_at=now - timedelta(days=3))
    hour = make_transaction(started_at=now - timedelta(minutes=40))
    fresh = make_transaction(started_at=now - timedelta(minutes=2))
    assert ids(TransactionFilters(range="15m")) == {fresh.id}
    assert ids(TransactionFilters(range="1h")) == {fresh.id, hour.id}
    assert ids(TransactionFilters(range="7d")) == {fresh.id, hour.id, old.id}
    window = TransactionFilters(since=now - timedelta(days=4), until=now - timedelta(hours=1))
    assert ids(window) == {old.id}


def test_search_by_id_and_id_prefix() -> None:
    row = make_transaction()
    make_transaction()
    assert ids(TransactionFilters(q=row.id)) == {row.id}
    assert ids(TransactionFilters(q=row.id[:8].upper())) == {row.id}


@pytest.mark.parametrize(
    ("needle", "where"),
    [
        ("purple elephant", "request"),
        ("PURPLE Elephant", "request"),
        ("zebra crossing", "response"),
        ("crème brûlée", "request"),
        ('say "cheese"', "response"),
        ("secret-token-42", "original response only"),
    ],
)
def test_search_text_in_bodies(needle: str, where: str) -> None:
    make_transaction()  # a decoy
    if where == "request":
        row = make_transaction(request=openai_request(f"tell me about the {needle.lower()}s"))
    elif where == "response":
        row = make_transaction(response=openai_reply(f"I {needle} here"))
    else:
        row = make_transaction(
            response=openai_reply(f"leaked {needle}"), response_final=openai_reply("[redacted]")
        )
    assert ids(TransactionFilters(q=needle)) == {row.id}


def test_search_combines_with_filters() -> None:
    hit = make_transaction(status="blocked", request=openai_request("find me"))
    make_transaction(status="completed", request=openai_request("find me"))
    assert ids(TransactionFilters(q="find me", status="blocked")) == {hit.id}


def test_list_queries_never_read_bodies() -> None:
    for _ in range(3):
        make_transaction(request=openai_request("x" * 10_000))
    with CaptureQueriesContext(connection) as plain:
        list(transaction_list(filters=TransactionFilters(status="completed")))
    assert len(plain) == 1 and "transactionbody" not in plain[0]["sql"].lower()
    with CaptureQueriesContext(connection) as searched:
        rows = list(transaction_list(filters=TransactionFilters(q="xxxx")))
    assert len(rows) == 3 and len(searched) == 1
    sql = searched[0]["sql"].lower()
    selected = sql.split(" from ", 1)[0]
    assert "transactionbody" not in selected  # bodies only in the id subquery
    assert "in (select" in sql


def test_page_fetches_one_extra_row_and_never_counts() -> None:
    now = timezone.now()
    made = [make_transaction(started_at=now - timedelta(seconds=i)) for i in range(7)]
    rows = transaction_list(filters=TransactionFilters())
    with CaptureQueriesContext(connection) as queries:
        first = transaction_page(rows=rows, number=1, size=3)
    assert len(queries) == 1 and "count(" not in queries[0]["sql"].lower()
    assert [r.id for r in first.rows] == [m.id for m in made[:3]]
    assert first.has_next and not first.has_previous
    last = transaction_page(rows=rows, number=3, size=3)
    assert [r.id for r in last.rows] == [made[6].id]
    assert last.has_previous and not last.has_next
    assert transaction_page(rows=rows, number=0, size=3).number == 1


def test_from_query_is_lenient() -> None:
    filters = TransactionFilters.from_query(
        {
            "status": "nonsense",
            "range": "forever",
            "since": "yesterday",
            "blocked": "on",
            "until": "2026-01-02T03:04",
            "q": "  hi  ",
            "model": "m",
        }
    )
    assert filters.status == "" and filters.range == "" and filters.since is None
    assert filters.blocked and filters.q == "hi" and filters.model == "m"
    assert filters.until is not None and filters.until.tzinfo is not None
    assert filters.as_query() == {
        "q": "hi",
        "model": "m",
        "blocked": "1",
        "until": "2026-01-02T03:04",
    }


def test_detail_has_body_and_ordered_events() -> None:
    row = make_transaction(events=[{"action": "rewrote"}, {"action": "blocked"}])
    found = transaction_detail(transaction_id=row.id)
    assert found is not None
    assert [e.action for e in found.events.all()] == ["rewrote", "blocked"]
    assert found.body.request_original["messages"][0]["content"] == "hello there"
    assert transaction_detail(transaction_id="0" * 32) is None


def test_recent_is_bounded() -> None:
    for _ in range(3):
        make_transaction()
    assert len(transaction_recent(limit=2)) == 2
    assert len(transaction_recent(limit=100_000)) == 3
