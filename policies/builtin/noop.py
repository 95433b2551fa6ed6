"""`noop`: passes everything through unchanged."""

from __future__ import annotations

from policies.base import Policy
from policies.registry import register


@register
class NoopPolicy(Policy):
    """Passes every request and response through untouched (the default policy)."""

    name = "noop"
    description = "Pass everything through unchanged."
