"""Policies: the Policy base class, the stream engine, built-in policies and the runtime.

Depends only on `wire` (the neutral model policies read, the upstream table the judge calls
through). Public modules, for the apps above:

- `policies.base`, `policies.context`: the Policy API and the per-call context and decisions.
- `policies.engine` (`engine.request`, `engine.blocks`): runs a policy over a request and a stream.
- `policies.selection`: which policy one request runs (`resolve_policy`).
- `policies.runtime`, `policies.reloader`: the process's active policy and how changes arrive.
- `policies.api`: the admin API router.
- `policies.approvals.api`, `.services`, `.selectors`: the approval queue's admin API router,
  its decisions and reads (the `/approvals/` page).
"""
