"""Live broadcast tap (placeholder until the activity issue): counts, sends nothing."""

from __future__ import annotations

from activity.records import TransactionRecord
from policies.context import Decision


class Broadcaster:
    """Receives lifecycle events of transactions."""

    def started(self, record: TransactionRecord) -> None:
        """A transaction started."""

    def decision(self, record: TransactionRecord, decision: Decision) -> None:
        """A policy decided something."""

    def finished(self, record: TransactionRecord) -> None:
        """A transaction ended."""


_broadcaster = Broadcaster()


def broadcaster() -> Broadcaster:
    """The process's broadcaster."""
    return _broadcaster
