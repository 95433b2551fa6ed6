"""Policies: the Policy base class, the stream engine, built-in policies and the runtime.

Depends only on `wire` (the neutral model policies read, the upstream table the judge calls
through). Public modules, for the apps above:

- `policies.base`, `policies.context`: the Policy API and the per-call context and decisions.
- `policies.engine` (`engine.request`, `engine.blocks`): runs a policy over a request and a stream.
- `policies.selection`: which policy one request runs (`resolve_policy`).
- `policies.runtime`, `policies.reloader`: the process's active policy and how changes arrive.
- `policies.api`, `policies.api_auth`: the admin API router and its authentication.
- `policies.models`: saved policies (the gateway's keys and groups point at them).
- `policies.assignments`: tell every worker that a key's or group's policy assignment changed.
- `policies.session`: session history for trajectory rules (`SessionView`, the `SessionHistory`
  provider protocol the activity app implements and registers at start-up).
- `policies.approvals.api`, `.services`, `.selectors`: the approval queue's admin API router,
  its decisions and reads (the `/approvals/` page).
"""
