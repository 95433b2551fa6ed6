"""Which agent session a call belongs to: the client's own id, else the key and a time gap.

Client ids, first found wins (each cut to 200 characters):

    x-luthien-session-id       explicit, any client
    x-claude-code-session-id   Claude Code
    session-id, thread-id      Codex
    x-session-id               other clients
    metadata.user_id           Claude Code's body: the JSON form's `session_id`, or the older
                               `user_<hash>_account_<uuid>_session_<uuid>` form's last part

Without one, a key's calls are one session until it pauses for `LUTHIEN_SESSION_GAP_S`; the id
is `key:<key name>:<start, UTC>`. Each worker tracks its keys' current sessions in memory; when
it would start a new one (first call of a key in this worker, or after a pause here) it first
asks the registered lookup (the activity app's: the key's latest recorded gap session within
the gap), so workers continue each other's sessions. That costs one small query per key and
session start, never one per call. Calls that start at the same instant on two workers can
still open two sessions.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import orjson
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from wire.neutral import Request
from wire.process_wide import Service

MAX_LEN = 200
MAX_KEYS = 10_000
HEADERS = (
    "x-luthien-session-id",
    "x-claude-code-session-id",
    "session-id",
    "thread-id",
    "x-session-id",
)
GAP_PREFIX = "key:"  # the gateway's gap sessions: `key:<key name>:<start>`
_LEGACY_USER_ID = re.compile(r"_session_([0-9A-Za-z-]+)$")
logger = logging.getLogger("gateway.sessions")

#: (key name, earliest start in epoch seconds) -> the key's latest gap session id since then.
GapLookup = Callable[[str, float], str | None]


def header_session_id(headers: dict[str, str]) -> str:
    """The session id the client sent as a header ("" if none); lower-cased header names."""
    for name in HEADERS:
        value = headers.get(name, "").strip()
        if value:
            return value[:MAX_LEN]
    return ""


def metadata_session_id(request: Request) -> str:
    """The session part of Claude Code's `metadata.user_id` ("" when it has none)."""
    metadata = request.params.get("metadata")
    user_id = metadata.get("user_id") if isinstance(metadata, dict) else None
    if not isinstance(user_id, str) or not user_id:
        return ""
    if user_id.startswith("{"):
        try:
            data = orjson.loads(user_id)
        except orjson.JSONDecodeError:
            return ""
        value = data.get("session_id") if isinstance(data, dict) else None
        return value[:MAX_LEN] if isinstance(value, str) else ""
    match = _LEGACY_USER_ID.search(user_id)
    return match.group(1)[:MAX_LEN] if match else ""


def client_session_id(headers: dict[str, str], request: Request) -> str:
    """The client's own session id, from a header or the body ("" if it sent none). An id in
    the gateway's own `key:` namespace is ignored: gap sessions are named after their key, and
    a client must not join (and add strikes to) another key's session by naming it."""
    found = header_session_id(headers) or metadata_session_id(request)
    return "" if found.startswith(GAP_PREFIX) else found


class GapSessions:
    """Per worker: each key's current gap session (id, last call), LRU-bounded."""

    def __init__(self) -> None:
        self._sessions: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    @property
    def lookup(self) -> GapLookup | None:
        """The registered lookup (it outlives the tracker: see `gap_lookup_set`)."""
        return _lookup

    def current(self, key: str, *, now: float) -> str | None:
        """The key's session if its last call here is within the gap (then extended)."""
        gap = float(settings.LUTHIEN_SESSION_GAP_S)
        with self._lock:
            found = self._sessions.get(key)
            if found is None or now - found[1] > gap:
                return None
            self._sessions[key] = (found[0], now)
            return found[0]

    def start(self, key: str, *, now: float, session: str | None = None) -> str:
        """Make `session` (or a new id starting `now`) the key's current session."""
        if not session:
            start = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%SZ")
            session = f"{GAP_PREFIX}{key}:{start}"[:MAX_LEN]
        with self._lock:
            self._sessions.pop(key, None)
            self._sessions[key] = (session, now)
            if len(self._sessions) > MAX_KEYS:
                self._sessions.pop(next(iter(self._sessions)))
        return session

    def session_for(self, key: str, *, now: float | None = None) -> str:
        """The key's session at `now` without asking the lookup (tests, no database)."""
        now = time.time() if now is None else now
        return self.current(key, now=now) or self.start(key, now=now)

    def clear(self) -> None:
        """Forget every key's session (tests)."""
        with self._lock:
            self._sessions.clear()


_GAP_SESSIONS = Service("gap sessions", GapSessions)
_lookup: GapLookup | None = None  # configuration set at start-up, not reset with the tracker


def gap_sessions() -> GapSessions:
    """This worker's gap-session tracker."""
    return _GAP_SESSIONS.get()


def gap_lookup_set(lookup: GapLookup | None) -> None:
    """Register how a worker finds a key's recent gap session (the activity app does)."""
    global _lookup
    _lookup = lookup


async def _looked_up(lookup: GapLookup, key: str, since: float) -> str | None:
    def call() -> str | None:
        close_old_connections()
        return lookup(key, since)

    try:
        return await sync_to_async(call, thread_sensitive=False)()
    except Exception as error:  # the database is down: start a session of this worker's own
        logger.warning("gap session of key %r not looked up (%s)", key, error)
        return None


async def session_id(headers: dict[str, str], request: Request, key_name: str) -> str:
    """The call's session: the client's id, else the key's current gap session (continuing a
    recent one of another worker when this worker has none)."""
    client = client_session_id(headers, request)
    if client:
        return client
    tracker, now = gap_sessions(), time.time()
    current = tracker.current(key_name, now=now)
    if current is not None:
        return current
    found = None
    if tracker.lookup is not None:
        found = await _looked_up(tracker.lookup, key_name, now - settings.LUTHIEN_SESSION_GAP_S)
    return tracker.start(key_name, now=now, session=found)
