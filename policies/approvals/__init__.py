"""The approval queue: tool calls a policy escalated wait here for a human.

    a policy returns `Escalation(call, reason)` → the engine calls `gate.hold_for_approval`
    → a `PendingApproval` row (services) → the call waits for the row to be decided
    → approved (maybe with edited arguments) / denied (the reason becomes the blocked-call text)
      / timed out (the policy's default) / withdrawn (the client left)

The row lives in the database, so any worker can decide it; the decision is announced over the
channel layer (`notify`, Redis in production) so the worker holding the call releases it at
once, and the waiting call also re-reads its row every `LUTHIEN_APPROVAL_POLL_S` in case a
notification is lost. Public modules: `services` (decide), `selectors` (read), `api` (the
admin API router).
"""
