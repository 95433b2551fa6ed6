"""`all-caps`: uppercases assistant text, streamed or not; tool calls untouched."""

from __future__ import annotations

from policies.base import Policy
from policies.context import PolicyContext
from policies.registry import register


@register
class AllCapsPolicy(Policy):
    """Uppercases every piece of assistant text as it streams."""

    name = "all-caps"
    description = "Uppercase all assistant text (a demonstration of streamed rewriting)."

    def on_text_delta(self, text: str, ctx: PolicyContext) -> str:
        return text.upper()
