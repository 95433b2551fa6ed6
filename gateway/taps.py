"""Where the pipeline reports each transaction's lifecycle: to the observers registered here.

The gateway imports no app above it. The `activity` app registers its recorder and live
broadcast as an observer when Django starts (`activity.apps`); a test may add its own. Each
observer method must return at once (copy into a bounded queue, never wait) and must not raise
into the client's path: a failing observer is logged and the others still run.
"""

from __future__ import annotations

import logging
from typing import Protocol

from gateway.transaction_record import TransactionRecord
from policies.context import Decision

logger = logging.getLogger("gateway.taps")


class TransactionObserver(Protocol):
    """Receives every transaction's start, each policy decision, and its end."""

    def started(self, record: TransactionRecord) -> None:
        """A client call was accepted and is about to be processed."""
        ...

    def decision(self, record: TransactionRecord, decision: Decision) -> None:
        """A policy took a decision in this call (already appended to `record.decisions`)."""
        ...

    def finished(self, record: TransactionRecord) -> None:
        """The call ended (any status); `record` is final."""
        ...


_observers: list[TransactionObserver] = []


def observer_add(observer: TransactionObserver) -> None:
    """Register `observer` (once: adding the same object again does nothing)."""
    if observer not in _observers:
        _observers.append(observer)


def observer_remove(observer: TransactionObserver) -> None:
    """Unregister `observer` (no error when it is not registered)."""
    if observer in _observers:
        _observers.remove(observer)


def transaction_started(record: TransactionRecord) -> None:
    """Tell every observer a call started."""
    for observer in _observers:
        try:
            observer.started(record)
        except Exception:  # an observer must never break the proxy
            logger.exception("transaction observer %r failed on start", observer)


def transaction_decision(record: TransactionRecord, decision: Decision) -> None:
    """Keep a policy's decision on the record and tell every observer."""
    record.decisions.append(decision.as_dict())
    for observer in _observers:
        try:
            observer.decision(record, decision)
        except Exception:
            logger.exception("transaction observer %r failed on a decision", observer)


def transaction_finished(record: TransactionRecord) -> None:
    """Tell every observer a call ended."""
    for observer in _observers:
        try:
            observer.finished(record)
        except Exception:
            logger.exception("transaction observer %r failed on finish", observer)
