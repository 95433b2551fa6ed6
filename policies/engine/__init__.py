"""The policy engine: runs a policy over a request and over a stream of neutral events.

`apply_request` runs `on_request` under the hook timeout; `apply_policy` is the streaming stage
that assembles blocks, holds what the policy's mode requires, calls the hooks, and keeps the
output protocol-valid (indexes renumbered, blocks closed, stop reason corrected, usage kept).
"""

from policies.engine.request import apply_request
from policies.engine.stream import apply_policy

__all__ = ["apply_policy", "apply_request"]
