"""Per-request state handed to every policy hook, and the decisions policies report through it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

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
    concurrent requests, so per-request state lives here (`state_for`)."""

    __slots__ = ("_listener", "_states", "decisions", "request", "transaction_id")

    def __init__(
        self,
        *,
        transaction_id: str,
        request: Request,
        listener: Callable[[Decision], None] | None = None,
    ) -> None:
        self.transaction_id = transaction_id
        self.request = request
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

    def decide(self, policy: Labelled, action: str, reason: str = "", **details: Any) -> Decision:
        """Report a decision: it lands in the transaction's event log and on the live page."""
        decision = Decision(policy=policy.label, action=action, reason=reason, details=details)
        self.decisions.append(decision)
        if self._listener is not None:
            self._listener(decision)
        return decision

    @property
    def blocked(self) -> bool:
        """Whether any policy blocked something in this request."""
        return any(d.action == "blocked" for d in self.decisions)
