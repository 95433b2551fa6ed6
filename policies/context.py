"""Per-request state handed to every policy hook, and the decisions policies report through it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from policies.session import SessionEvent, SessionView, session_store
from wire.neutral import Request

S = TypeVar("S")


class Labelled(Protocol):
    """What the context needs of a policy: its label (every `Policy` has one)."""

    @property
    def label(self) -> str:
        """The name decisions are reported under."""
        ...


@dataclass(slots=True)
class Decision:
    """One thing a policy decided: `action` is rewrote, blocked, allowed, judged, error, ..."""

    policy: str
    action: str
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for the event log and the live page."""
        return {
            "policy": self.policy,
            "action": self.action,
            "reason": self.reason,
            "details": self.details,
            "at": self.at,
        }


class PolicyContext:
    """Everything one request's policy hooks share. The policy instance itself is shared by
    concurrent requests, so per-request state lives here (`state_for`). `session` is the
    session's history (`policies.session.SessionView`): filled from the database for policies
    with `needs_session`, else just the session id."""

    __slots__ = (
        "_listener",
        "_states",
        "approval_wait_s",
        "decisions",
        "key_name",
        "request",
        "response_text",
        "session",
        "session_id",
        "transaction_id",
    )

    def __init__(
        self,
        *,
        transaction_id: str,
        request: Request,
        listener: Callable[[Decision], None] | None = None,
        session_id: str = "",
        session: SessionView | None = None,
        key_name: str = "",
    ) -> None:
        self.transaction_id = transaction_id
        self.request = request
        self.session_id = session_id  # as recorded on the transaction ("" if none)
        self.session = session if session is not None else SessionView(session_id)
        self.key_name = key_name
        # The assistant's text released so far in this response (held tool-call modes only):
        # what a reviewer reads before deciding on an escalated call.
        self.response_text: list[str] = []
        self.approval_wait_s = 0.0  # time held calls waited for a reviewer (not overhead)
        self.decisions: list[Decision] = []
        self._states: dict[int, Any] = {}
        self._listener = listener

    def state_for(self, policy: Labelled, factory: Callable[[], S]) -> S:
        """This request's private state object for `policy`, created by `factory` on first use."""
        key = id(policy)
        state = self._states.get(key)
        if state is None:
            state = factory()
            self._states[key] = state
        return state  # type: ignore[no-any-return]

    def decide(
        self, policy: Labelled | str, action: str, reason: str = "", **details: Any
    ) -> Decision:
        """Report a decision (`policy`: the policy or its label): it lands in the transaction's
        event log, the session's history and on the live page."""
        label = policy if isinstance(policy, str) else policy.label
        decision = Decision(policy=label, action=action, reason=reason, details=details)
        seq = len(self.decisions)
        self.decisions.append(decision)
        if self.session_id:
            event = SessionEvent(
                self.transaction_id, decision.policy, action, decision.at, reason, details, seq
            )
            session_store().add(self.session_id, event)
        if self._listener is not None:
            self._listener(decision)
        return decision

    @property
    def blocked(self) -> bool:
        """Whether any policy blocked something in this request (a denied or timed-out
        approval that withheld the call counts)."""
        return any(
            d.action == "blocked" or d.details.get("withheld") is True for d in self.decisions
        )
