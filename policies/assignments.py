"""Policy assignments to keys: how a change of one reaches every worker.

The assignment itself is a column of the gateway's key and key-group rows (the app above this
one); the gateway's services call `policy_assignments_changed()` inside their transaction. It
touches the `AssignmentStamp` row (so the database version stamp changes) and after commit
forgets this worker's cached saved policies, runs the reload listeners (the gateway's key
cache) and bumps the shared stamp, so every other worker's reloader does the same within
`LUTHIEN_POLICY_POLL_INTERVAL_S`.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from policies.models import AssignmentStamp
from policies.reload_listeners import reload_listeners_call
from policies.runtime import policy_runtime
from policies.version_stamp import stamp_bump


def policy_assignments_changed() -> None:
    """Record that a key's or group's policy assignment changed (call inside the write)."""
    AssignmentStamp.objects.update_or_create(pk=1, defaults={"changed_at": timezone.now()})

    def publish() -> None:
        policy_runtime().forget_saved()
        reload_listeners_call()
        stamp_bump()

    transaction.on_commit(publish)
