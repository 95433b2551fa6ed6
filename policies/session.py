"""Session history for trajectory rules: what earlier calls of the same agent session did.

A policy that sets `needs_session = True` gets `ctx.session`, a `SessionView` built once per
request before `on_request` runs: the session's earlier decisions and the tool calls its
earlier replies handed to the client (from every worker, read from the database through a
registered `SessionHistory` provider, cached per worker), plus the tool calls and tool results
of the request's own conversation (tool results are only known from the conversation: they live
in the large request bodies, which are not read back). Decisions taken while this request
runs are added to this worker's cache at once (a later request in this worker sees them before
the recorder persisted them), but not to the view of the request that took them, so a rule
judges a call only by *earlier* transactions and behaves the same streamed or not.

    SessionEvent           one earlier decision (policy, action, reason, details, transaction, at)
    SessionView            `ctx.session`: earlier decisions, tool calls (recorded replies and the
                           conversation) and the conversation's tool results
    SessionHistory         the provider protocol (the activity app registers one at start-up)
    session_history_set()  register (or remove) the provider
    session_store()        this worker's bounded cache; `clear()` on a reload or clearance
    session_view_load()    build the view for one request (a query only when the cache is stale)

The policies app never imports the activity app: the provider is handed in at start-up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections

from wire.neutral import Request, ToolCallBlock, ToolResultBlock
from wire.process_wide import Service

logger = logging.getLogger("policies.session")

MAX_SESSIONS = 5000
MAX_EVENTS = 500
MAX_CALLS = 200


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """One decision of an earlier transaction of the session (`at` in epoch seconds; `seq` its
    place among the transaction's decisions, as the recorder numbers them)."""

    transaction_id: str
    policy: str
    action: str
    at: float
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    seq: int = 0

    @property
    def key(self) -> tuple[str, int]:
        """Identity across this worker's cache and the database."""
        return (self.transaction_id, self.seq)


@dataclass(frozen=True, slots=True)
class SessionSnapshot:
    """What the provider read: the session's recent decisions (oldest first), when a human
    last cleared it (epoch seconds, 0 when never), and the tool calls its recent replies
    handed to the client (oldest first)."""

    events: list[SessionEvent]
    cleared_at: float = 0.0
    tool_calls: list[ToolCallBlock] = field(default_factory=list)


class SessionHistory(Protocol):
    """Reads a session's recorded decisions and tool calls; called on a worker thread (may
    query)."""

    def load(self, session_id: str, *, limit: int) -> SessionSnapshot:
        """The session's last `limit` decisions, its latest clearance, and the tool calls of
        its last `limit` // 5 replies."""
        ...


@dataclass(slots=True)
class _Entry:
    events: deque[SessionEvent] = field(default_factory=lambda: deque(maxlen=MAX_EVENTS))
    keys: set[tuple[str, int]] = field(default_factory=set)
    calls: list[ToolCallBlock] = field(default_factory=list)
    loaded_at: float | None = None
    cleared_at: float = 0.0

    def add(self, event: SessionEvent) -> None:
        if event.key in self.keys:
            return
        if len(self.events) == self.events.maxlen:
            self.keys.discard(self.events[0].key)
        self.events.append(event)
        self.keys.add(event.key)

    def merge(self, snapshot: SessionSnapshot) -> None:
        """The database's events plus local ones it does not have yet, in time order."""
        merged = {e.key: e for e in snapshot.events}
        for event in self.events:
            merged.setdefault(event.key, event)
        self.events.clear()
        self.keys.clear()
        for event in sorted(merged.values(), key=lambda e: e.at)[-MAX_EVENTS:]:
            self.add(event)
        self.cleared_at = max(self.cleared_at, snapshot.cleared_at)
        self.calls = snapshot.tool_calls[-MAX_CALLS:]


class SessionStore:
    """This worker's cache: session id → recent decisions and clearance, LRU-bounded."""

    def __init__(self, max_sessions: int = MAX_SESSIONS) -> None:
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._max = max_sessions
        self._lock = threading.Lock()

    @property
    def provider(self) -> SessionHistory | None:
        """The registered database provider (it outlives the cache: see `session_history_set`)."""
        return _provider

    def entry(self, session_id: str) -> _Entry:
        """The cached entry of a session (created empty, marked most recently used)."""
        with self._lock:
            entry = self._entries.get(session_id)
            if entry is None:
                entry = self._entries[session_id] = _Entry()
                while len(self._entries) > self._max:
                    self._entries.popitem(last=False)
            else:
                self._entries.move_to_end(session_id)
            return entry

    def add(self, session_id: str, event: SessionEvent) -> None:
        """Remember a decision taken in this worker (before the recorder persisted it)."""
        entry = self.entry(session_id)
        with self._lock:
            entry.add(event)

    def merge(self, session_id: str, snapshot: SessionSnapshot, *, loaded_at: float) -> None:
        """Merge what the provider read into the cached entry."""
        entry = self.entry(session_id)
        with self._lock:
            entry.merge(snapshot)
            entry.loaded_at = loaded_at

    def clear(self) -> None:
        """Forget every session (a clearance or a policy change: reload from the database)."""
        with self._lock:
            self._entries.clear()

    def snapshot(self, session_id: str) -> tuple[list[SessionEvent], float]:
        """The cached events and clearance of a session."""
        entry = self.entry(session_id)
        with self._lock:
            return list(entry.events), entry.cleared_at

    def recorded_calls(self, session_id: str) -> list[ToolCallBlock]:
        """The tool calls the database had for the session when it was last read."""
        entry = self.entry(session_id)
        with self._lock:
            return list(entry.calls)


_STORE = Service("session history cache", SessionStore)
_provider: SessionHistory | None = None  # configuration set at start-up, not reset with the cache


def session_store() -> SessionStore:
    """This worker's session cache."""
    return _STORE.get()


def session_history_set(provider: SessionHistory | None) -> None:
    """Register the database provider (`None` removes it: the cache alone is used)."""
    global _provider
    _provider = provider
    session_store().clear()


class SessionView:
    """`ctx.session`: what a policy may read about the session's earlier calls."""

    __slots__ = ("cleared_at", "events", "results", "session_id", "tool_calls")

    def __init__(
        self,
        session_id: str,
        *,
        events: Iterable[SessionEvent] = (),
        tool_calls: Iterable[ToolCallBlock] = (),
        results: Iterable[ToolResultBlock] = (),
        cleared_at: float = 0.0,
    ) -> None:
        self.session_id = session_id
        self.events = list(events)
        self.tool_calls = list(tool_calls)
        self.results = list(results)
        self.cleared_at = cleared_at

    def decisions(
        self, action: str, *, policy: str | None = None, since: float = 0.0
    ) -> Iterator[SessionEvent]:
        """Earlier decisions with this action (of one policy label, after `since`)."""
        for event in self.events:
            if event.action != action or event.at < since:
                continue
            if policy is None or event.policy == policy:
                yield event

    def count(self, action: str, *, policy: str | None = None, since: float = 0.0) -> int:
        """How many earlier decisions have this action (see `decisions`)."""
        return sum(1 for _ in self.decisions(action, policy=policy, since=since))


def conversation_tools(request: Request) -> tuple[list[ToolCallBlock], list[ToolResultBlock]]:
    """The tool calls and results already in the request's conversation, in order."""
    calls: list[ToolCallBlock] = []
    results: list[ToolResultBlock] = []
    for message in request.messages:
        for block in message.content:
            if isinstance(block, ToolCallBlock):
                calls.append(block)
            elif isinstance(block, ToolResultBlock):
                results.append(block)
    return calls, results


async def _on_thread(provider: SessionHistory, session_id: str) -> SessionSnapshot:
    """`provider.load` on a pool thread, whose database connections are closed afterwards."""

    def call() -> SessionSnapshot:
        try:
            return provider.load(session_id, limit=MAX_EVENTS)
        finally:
            connections.close_all()

    return await sync_to_async(call, thread_sensitive=False)()


async def session_view_load(session_id: str, request: Request) -> SessionView:
    """The view for one request. Queries the provider (on a thread) only when this worker's
    copy is older than `LUTHIEN_SESSION_CACHE_TTL_S`; a failing provider is logged and the
    cached copy used."""
    calls, results = conversation_tools(request)
    if not session_id:
        return SessionView("", tool_calls=calls, results=results)
    store = session_store()
    loaded_at = store.entry(session_id).loaded_at
    now = time.monotonic()
    ttl = float(settings.LUTHIEN_SESSION_CACHE_TTL_S)
    provider = store.provider
    if provider is not None and (loaded_at is None or now - loaded_at > ttl):
        try:
            snapshot = await _on_thread(provider, session_id)
        except Exception as error:
            logger.warning(
                "session %s not loaded (%s); using this worker's copy", session_id, error
            )
        else:
            store.merge(session_id, snapshot, loaded_at=now)
    events, cleared_at = store.snapshot(session_id)
    in_conversation = {call.id for call in calls}
    recorded = [c for c in store.recorded_calls(session_id) if c.id not in in_conversation]
    return SessionView(
        session_id,
        events=events,
        tool_calls=[*recorded, *calls],
        results=results,
        cleared_at=cleared_at,
    )
