"""The activity app's transaction observer: the recorder and the live broadcast.

Registered with `gateway.taps` when Django starts (`activity.apps`); the gateway never imports
this app. Each method returns at once: the recorder and the broadcaster copy into bounded
queues (`put_nowait`), and a failure of one never stops the other.
"""

from __future__ import annotations

import logging

from activity.broadcast import broadcaster
from activity.recorder import recorder
from gateway.transaction_record import TransactionRecord
from policies.context import Decision

logger = logging.getLogger("activity.taps")


class ActivityObserver:
    """Records every finished transaction and broadcasts each lifecycle event live."""

    def __repr__(self) -> str:
        return "ActivityObserver()"

    def __eq__(self, other: object) -> bool:  # one per process, however often apps load
        return isinstance(other, ActivityObserver)

    def __hash__(self) -> int:
        return hash(ActivityObserver)

    def started(self, record: TransactionRecord) -> None:
        """Announce the start live."""
        broadcaster().started(record)

    def decision(self, record: TransactionRecord, decision: Decision) -> None:
        """Announce a policy decision live."""
        broadcaster().decision(record, decision)

    def finished(self, record: TransactionRecord) -> None:
        """Queue the record for the database, then announce the end live."""
        try:
            recorder().submit(record)
        except Exception:  # the broadcast still goes out
            logger.exception("recorder tap failed")
        broadcaster().finished(record)
