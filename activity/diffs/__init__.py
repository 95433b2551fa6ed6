"""What a policy changed: original vs final request and original vs final response.

    transaction_diffs(body)   the two `DiffView`s of a transaction's bodies
    DiffView                  one comparison: title, rows for the side-by-side table, counts,
                              and `as_dict()` for the debug API
    request_lines / response_lines / side_by_side / unified   the building blocks

Modules: `text` (bodies as readable lines), `sides` (the line diff).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from activity.diffs.sides import Cell, DiffRow, Segment, inline_diff, side_by_side, unified
from activity.diffs.text import request_lines, response_lines

OPEN_UNCHANGED_LINES = 40

__all__ = [
    "Cell",
    "DiffRow",
    "DiffView",
    "Segment",
    "diff_view",
    "inline_diff",
    "request_lines",
    "response_lines",
    "side_by_side",
    "transaction_diffs",
    "unified",
]


@dataclass(frozen=True, slots=True)
class DiffView:
    """One original-vs-final comparison, ready for a template or JSON."""

    name: str
    title: str
    original: list[str]
    final: list[str]
    rows: list[DiffRow]
    original_missing: bool
    final_missing: bool

    @property
    def changed(self) -> bool:
        """Whether the two sides differ."""
        return self.original != self.final

    @property
    def open_unchanged(self) -> bool:
        """Whether to show an unchanged body expanded (it is short, and there is nothing else)."""
        return not self.changed and len(self.original) <= OPEN_UNCHANGED_LINES

    @property
    def removed(self) -> int:
        """Changed lines on the original side."""
        return sum(1 for row in self.rows if row.kind == "change" and row.left is not None)

    @property
    def added(self) -> int:
        """Changed lines on the final side."""
        return sum(1 for row in self.rows if row.kind == "change" and row.right is not None)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: both sides as lines, the unified diff, and whether they differ."""
        return {
            "name": self.name,
            "changed": self.changed,
            "original_missing": self.original_missing,
            "final_missing": self.final_missing,
            "added": self.added,
            "removed": self.removed,
            "original": self.original,
            "final": self.final,
            "unified": unified(self.original, self.final),
        }


def diff_view(name: str, title: str, original: Any, final: Any, *, response: bool) -> DiffView:
    """Compare two bodies (either may be None: not recorded, or purged)."""
    render = response_lines if response else request_lines
    left, right = render(original), render(final)
    return DiffView(
        name=name,
        title=title,
        original=left,
        final=right,
        rows=side_by_side(left, right),
        original_missing=original is None,
        final_missing=final is None,
    )


def transaction_diffs(body: Any) -> list[DiffView]:
    """The request and response comparisons of a `TransactionBody` (None: no bodies kept)."""
    get = (lambda name: getattr(body, name)) if body is not None else (lambda name: None)
    return [
        diff_view(
            "request", "Request", get("request_original"), get("request_final"), response=False
        ),
        diff_view(
            "response", "Response", get("response_original"), get("response_final"), response=True
        ),
    ]
