"""Side taps of the pipeline: the recorder and the live broadcast receive lifecycle events here.

The pipeline calls these three functions and nothing else of `activity`. Each must return at
once: taps copy into bounded queues (`put_nowait`) and never raise into the client's path.
"""

from __future__ import annotations

import logging

from activity.broadcast import broadcaster
from activity.recorder import recorder
from activity.records import TransactionRecord
from policies.context import Decision

logger = logging.getLogger("activity.taps")


def transaction_started(record: TransactionRecord) -> None:
    """A client call was accepted and is about to be processed."""
    try:
        broadcaster().started(record)
    except Exception:  # a tap must never break the proxy
        logger.exception("broadcast tap failed")


def transaction_decision(record: TransactionRecord, decision: Decision) -> None:
    """A policy took a decision in this call."""
    record.decisions.append(decision.as_dict())
    try:
        broadcaster().decision(record, decision)
    except Exception:
        logger.exception("broadcast tap failed")


def transaction_finished(record: TransactionRecord) -> None:
    """The call ended (any status): record it and announce it."""
    try:
        recorder().submit(record)
    except Exception:
        logger.exception("recorder tap failed")
    try:
        broadcaster().finished(record)
    except Exception:
        logger.exception("broadcast tap failed")
