"""Sessions in the transaction log: the list, one session's timeline, and clearing strikes.

    session_list(key=, limit=)      sessions, most recent first, with totals (no bodies read)
    session_page(session_id=)       a session's transactions as one timeline with totals
    session_clear(session_id=, ...) a human clears a session's strikes (`strikes` policy)
    DatabaseSessionHistory          the `policies.session.SessionHistory` provider

A session is every transaction with the same `session_id` (the client's own id, or the key
and a time gap: `gateway.sessions`). The timeline shows, per transaction, what was new in the
request (the user's prompt, tool results), the policy decisions, and the final response's
text and tool calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import transaction as db_transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from activity.models import SessionClearance, Transaction, TransactionBody, TransactionEvent
from activity.timeline import TimelineItem, reply_tool_calls, transaction_items
from policies.session import SessionEvent, SessionSnapshot, session_store

ESCALATED_ACTIONS = ("escalate", "escalated")


@dataclass(slots=True)
class SessionTotals:
    """What a session adds up to."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    blocked: int = 0
    escalated: int = 0
    started_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def duration_s(self) -> float:
        """Seconds from the first call's start to the last call's end."""
        if self.started_at is None or self.ended_at is None:
            return 0.0
        return max(0.0, (self.ended_at - self.started_at).total_seconds())

    @property
    def tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens


@dataclass(slots=True)
class SessionRow:
    """One session in the list."""

    session_id: str
    key: str
    totals: SessionTotals


@dataclass(slots=True)
class SessionPage:
    """One session: its transactions (oldest first), the timeline, totals, clearances."""

    session_id: str
    transactions: list[Transaction]
    items: list[TimelineItem]
    totals: SessionTotals
    clearances: list[SessionClearance] = field(default_factory=list)


def _escalated_counts(session_ids: list[str]) -> dict[str, int]:
    rows = (
        TransactionEvent.objects.filter(
            transaction__session_id__in=session_ids, action__in=ESCALATED_ACTIONS
        )
        .values("transaction__session_id")
        .annotate(n=Count("id"))
    )
    return {row["transaction__session_id"]: row["n"] for row in rows}


def session_list(
    *, key: str = "", limit: int = 100, since: datetime | None = None
) -> list[SessionRow]:
    """Sessions with a call since `since` (all when None), most recently active first, with
    totals over those calls (reads `Transaction` columns only)."""
    rows = Transaction.objects.exclude(session_id="")
    if since is not None:
        rows = rows.filter(started_at__gte=since)
    if key:
        rows = rows.filter(api_key_name__icontains=key)
    grouped = (
        rows.values("session_id")
        .annotate(
            calls=Count("id"),
            input_tokens=Sum("input_tokens"),
            output_tokens=Sum("output_tokens"),
            blocked=Count("id", filter=Q(blocked=True)),
            started=Min("started_at"),
            last_started=Max("started_at"),
            ended=Max("ended_at"),
            key=Max("api_key_name"),
        )
        .order_by("-last_started")[: max(1, min(limit, 1000))]
    )
    found = list(grouped)
    escalated = _escalated_counts([row["session_id"] for row in found])
    return [
        SessionRow(
            session_id=row["session_id"],
            key=row["key"] or "",
            totals=SessionTotals(
                calls=row["calls"],
                input_tokens=row["input_tokens"] or 0,
                output_tokens=row["output_tokens"] or 0,
                blocked=row["blocked"],
                escalated=escalated.get(row["session_id"], 0),
                started_at=row["started"],
                ended_at=row["ended"] or row["last_started"],
            ),
        )
        for row in found
    ]


def session_page(*, session_id: str, limit: int = 500) -> SessionPage | None:
    """A session's timeline, or None when no transaction has this session id."""
    rows = list(
        Transaction.objects.filter(session_id=session_id)
        .select_related("body")
        .prefetch_related("events")
        .order_by("started_at", "id")[:limit]
    )
    if not rows:
        return None
    totals = SessionTotals(calls=len(rows), started_at=rows[0].started_at)
    items: list[TimelineItem] = []
    for row in rows:
        events = list(row.events.all())
        totals.input_tokens += row.input_tokens or 0
        totals.output_tokens += row.output_tokens or 0
        totals.blocked += int(row.blocked)
        totals.escalated += sum(1 for e in events if e.action in ESCALATED_ACTIONS)
        end = row.ended_at or row.started_at
        totals.ended_at = end if totals.ended_at is None else max(totals.ended_at, end)
        items += transaction_items(row, events)
    clearances = list(SessionClearance.objects.filter(session_id=session_id))
    return SessionPage(session_id, rows, items, totals, clearances)


def session_clear(*, session_id: str, actor: str, note: str = "") -> SessionClearance:
    """Clear a session's strikes: blocks before now no longer count (every worker re-reads
    within `LUTHIEN_SESSION_CACHE_TTL_S`; this worker at once)."""
    with db_transaction.atomic():
        row = SessionClearance.objects.create(
            session_id=session_id[:255],
            cleared_at=timezone.now(),
            cleared_by=actor[:150],
            note=note,
        )
        db_transaction.on_commit(session_store().clear)
    return row


class DatabaseSessionHistory:
    """Reads a session's recorded decisions, latest clearance and its recent replies' tool
    calls for trajectory rules (final responses only: they are small; requests are not read)."""

    def load(self, session_id: str, *, limit: int) -> SessionSnapshot:
        """The session's last `limit` decisions (oldest first), its latest clearance and the
        tool calls of its last `limit // 5` replies (oldest first)."""
        rows = (
            TransactionEvent.objects.filter(transaction__session_id=session_id)
            .order_by("-at", "-id")
            .values("transaction_id", "seq", "policy", "action", "reason", "details", "at")[:limit]
        )
        events = [
            SessionEvent(
                transaction_id=row["transaction_id"],
                policy=row["policy"],
                action=row["action"],
                at=row["at"].timestamp(),
                reason=row["reason"],
                details=row["details"] if isinstance(row["details"], dict) else {},
                seq=row["seq"],
            )
            for row in reversed(list(rows))
        ]
        cleared: Any = SessionClearance.objects.filter(session_id=session_id).aggregate(
            at=Max("cleared_at")
        )["at"]
        replies = (
            TransactionBody.objects.filter(transaction__session_id=session_id)
            .order_by("-transaction__started_at")
            .values_list("transaction__client_format", "response_final")[: max(1, limit // 5)]
        )
        calls = [c for fmt, body in reversed(list(replies)) for c in reply_tool_calls(fmt, body)]
        return SessionSnapshot(events, cleared.timestamp() if cleared else 0.0, calls)


def gap_session_latest(key_name: str, since: float) -> str | None:
    """The key's latest gap session (`key:<name>:…`) with a call started since `since` (epoch
    seconds), for `gateway.sessions`: workers continue each other's sessions."""
    moment = datetime.fromtimestamp(since, tz=UTC)
    return (
        Transaction.objects.filter(
            started_at__gte=moment,
            api_key_name=key_name,
            session_id__startswith=f"key:{key_name}:",
        )
        .order_by("-started_at")
        .values_list("session_id", flat=True)
        .first()
    )
