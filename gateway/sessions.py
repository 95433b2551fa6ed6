"""Which agent session a call belongs to: the client's own id, else the key and a time gap.

Client ids, first found wins (each cut to 200 characters):

    x-luthien-session-id       explicit, any client
    x-claude-code-session-id   Claude Code
    session-id, thread-id      Codex
    x-session-id               other clients
    metadata.user_id           Claude Code's body: the JSON form's `session_id`, or the older
                               `user_<hash>_account_<uuid>_session_<uuid>` form's last part

Without one, a key's calls are one session until it pauses for `LUTHIEN_SESSION_GAP_S`; the id
is `key:<key name>:<start, UTC>`. The gap is tracked per worker, so with several workers the
calls of a key without client ids may split into one session per worker (the client ids, which
every agent CLI sends, do not have this limit).
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime

import orjson
from django.conf import settings

from wire.neutral import Request

MAX_LEN = 200
MAX_KEYS = 10_000
HEADERS = (
    "x-luthien-session-id",
    "x-claude-code-session-id",
    "session-id",
    "thread-id",
    "x-session-id",
)
_LEGACY_USER_ID = re.compile(r"_session_([0-9A-Za-z-]+)$")


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
    """The client's own session id, from a header or the body ("" if it sent none)."""
    return header_session_id(headers) or metadata_session_id(request)


class GapSessions:
    """Per worker: each key's current gap session (id, last call), LRU-bounded."""

    def __init__(self) -> None:
        self._sessions: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def session_for(self, key: str, *, now: float | None = None) -> str:
        """The key's session at `now` (epoch seconds): the current one, or a new one after
        a pause longer than `LUTHIEN_SESSION_GAP_S`."""
        now = time.time() if now is None else now
        gap = float(settings.LUTHIEN_SESSION_GAP_S)
        with self._lock:
            current = self._sessions.pop(key, None)
            if current is None or now - current[1] > gap:
                start = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%SZ")
                current = (f"key:{key}:{start}"[:MAX_LEN], now)
            self._sessions[key] = (current[0], now)
            if len(self._sessions) > MAX_KEYS:
                self._sessions.pop(next(iter(self._sessions)))
            return current[0]

    def clear(self) -> None:
        """Forget every key's session (tests)."""
        with self._lock:
            self._sessions.clear()


_gap_sessions = GapSessions()


def gap_sessions() -> GapSessions:
    """This worker's gap-session tracker."""
    return _gap_sessions


def session_id(headers: dict[str, str], request: Request, key_name: str) -> str:
    """The call's session: the client's id, else the key's current gap session."""
    return client_session_id(headers, request) or gap_sessions().session_for(key_name)
