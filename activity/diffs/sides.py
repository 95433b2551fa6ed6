"""Side-by-side line diffs with word-level highlights and collapsed unchanged runs.

`side_by_side(left, right)` compares two lists of lines with `difflib.SequenceMatcher` and
returns rows for a two-column table:

    DiffRow(kind="same")      an unchanged line, shown on both sides (context)
    DiffRow(kind="change")    a removed and/or added line; a pair of changed lines carries
                              word-level `Segment`s so the exact edit stands out
    DiffRow(kind="skip")      a run of unchanged lines, collapsed (`lines` keeps them)

Everything is plain data: templates escape it, the debug API serialises it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Literal

CONTEXT = 3
MAX_LINES = 4000
_INLINE_LIMIT = 4000
_SIMILAR = 0.5
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a line; `changed` pieces are highlighted."""

    text: str
    changed: bool = False


@dataclass(frozen=True, slots=True)
class Cell:
    """One side of a row: the line number (1-based) and the line as segments."""

    number: int
    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        """The whole line."""
        return "".join(segment.text for segment in self.segments)


@dataclass(frozen=True, slots=True)
class DiffRow:
    """One row of a side-by-side diff (see the module docstring)."""

    kind: Literal["same", "change", "skip"]
    left: Cell | None = None
    right: Cell | None = None
    lines: tuple[str, ...] = field(default_factory=tuple)
    start: int = 0  # first left-side line number of a skipped run


def side_by_side(left: list[str], right: list[str], *, context: int = CONTEXT) -> list[DiffRow]:
    """Rows comparing `left` (original) with `right` (final); unchanged runs longer than twice
    `context` are collapsed. Inputs beyond `MAX_LINES` lines are cut (with a note line)."""
    left, right = _cap(left), _cap(right)
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    opcodes = matcher.get_opcodes()
    rows: list[DiffRow] = []
    for position, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            first, last = position == 0, position == len(opcodes) - 1
            rows += _same(left, i1, i2, j1, context, first=first, last=last)
        else:
            rows += _changed(left[i1:i2], right[j1:j2], i1, j1)
    return rows


def _cap(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_LINES:
        return lines
    return [*lines[:MAX_LINES], f"… {len(lines) - MAX_LINES} more lines not compared"]


def _same(
    lines: list[str], i1: int, i2: int, j1: int, context: int, *, first: bool, last: bool
) -> list[DiffRow]:
    """Unchanged lines: context next to changes, the rest collapsed into one skip row."""
    head = 0 if first else context
    tail = 0 if last else context
    if first and last:  # nothing changed at all: collapse everything
        head = tail = 0
    if i2 - i1 <= head + tail + 1:
        head, tail = i2 - i1, 0
    rows = [_same_row(lines, i1 + k, j1 + k) for k in range(head)]
    skipped_to = i2 - tail
    if i1 + head < skipped_to:
        rows.append(
            DiffRow(kind="skip", lines=tuple(lines[i1 + head : skipped_to]), start=i1 + head + 1)
        )
    rows += [_same_row(lines, i, j1 + (i - i1)) for i in range(skipped_to, i2)]
    return rows


def _same_row(lines: list[str], i: int, j: int) -> DiffRow:
    segments = (Segment(lines[i]),)
    return DiffRow(kind="same", left=Cell(i + 1, segments), right=Cell(j + 1, segments))


def _changed(old: list[str], new: list[str], i1: int, j1: int) -> list[DiffRow]:
    """Removed and added lines paired up; pairs get word-level highlights."""
    rows = []
    for k in range(max(len(old), len(new))):
        before = old[k] if k < len(old) else None
        after = new[k] if k < len(new) else None
        if before is not None and after is not None:
            left_segments, right_segments = inline_diff(before, after)
        else:
            left_segments = (Segment(before, True),) if before is not None else ()
            right_segments = (Segment(after, True),) if after is not None else ()
        rows.append(
            DiffRow(
                kind="change",
                left=Cell(i1 + k + 1, left_segments) if before is not None else None,
                right=Cell(j1 + k + 1, right_segments) if after is not None else None,
            )
        )
    return rows


def inline_diff(before: str, after: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Word-level difference of two lines: (segments of `before`, segments of `after`)."""
    if len(before) + len(after) > _INLINE_LIMIT:
        return (Segment(before, True),), (Segment(after, True),)
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    if matcher.ratio() < _SIMILAR:  # mostly different: word highlights would only be noise
        return (Segment(before, True),), (Segment(after, True),)
    left: list[Segment] = []
    right: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        changed = tag != "equal"
        if i2 > i1:
            _append(left, "".join(old[i1:i2]), changed)
        if j2 > j1:
            _append(right, "".join(new[j1:j2]), changed)
    return _absorb(left), _absorb(right)


def _absorb(segments: list[Segment]) -> tuple[Segment, ...]:
    """Join changes separated only by whitespace into one highlighted run."""
    out: list[Segment] = []
    for index, segment in enumerate(segments):
        between_changes = (
            not segment.changed
            and not segment.text.strip()
            and 0 < index < len(segments) - 1
            and segments[index + 1].changed
            and out
            and out[-1].changed
        )
        _append(out, segment.text, segment.changed or bool(between_changes))
    return tuple(out)


def _append(segments: list[Segment], text: str, changed: bool) -> None:
    """Add a segment, merging with the previous one when both have the same state."""
    if segments and segments[-1].changed == changed:
        segments[-1] = Segment(segments[-1].text + text, changed)
    else:
        segments.append(Segment(text, changed))


def unified(left: list[str], right: list[str], *, context: int = CONTEXT) -> list[str]:
    """The same comparison as a unified diff (for the debug API and logs)."""
    return list(
        difflib.unified_diff(_cap(left), _cap(right), "original", "final", n=context, lineterm="")
    )
