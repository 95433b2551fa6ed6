"""Callbacks run whenever this worker learns that saved policies or key assignments changed.

The services run them after their own commits, the reloader when the shared version stamp
changed (another worker's write). The gateway registers its key-cache clear at start-up (its
cached key checks carry each key's assigned policy name). Re-exported by `policies.reloader`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger("policies.reloader")

_listeners: list[Callable[[], None]] = []


def reload_listener_add(listener: Callable[[], None]) -> None:
    """Call `listener` (no I/O, no exceptions) whenever this worker sees saved policies or key
    assignments change: the gateway clears its key cache, which holds assigned policy names."""
    if listener not in _listeners:
        _listeners.append(listener)


def reload_listeners_call() -> None:
    """Run the reload listeners (a failing one is logged; the others still run)."""
    for listener in list(_listeners):
        try:
            listener()
        except Exception:
            logger.exception("reload listener %r failed", listener)
