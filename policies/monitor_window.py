"""The rolling window of the `monitor` policy: recent scores and the thresholds they imply.

An audit budget `b` (say 0.02: humans review 2 % of calls) becomes a threshold: the score above
which at most `b` of the recent scores lie (`quantile_threshold`), clamped to a floor and a
ceiling (`threshold_in_force`). The scores are `MonitorScore` rows, one per scored call, shared by
every worker; each worker keeps its own copy of the latest `size` scores (`ScoreWindow`) and
re-reads it at most every `refresh_s` seconds, adding its own scores as it goes. When the database
cannot be used the window keeps working on the worker's own scores (logged once).
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from asgiref.sync import sync_to_async

from policies.models import MonitorScore

logger = logging.getLogger("policies.monitor")

__all__ = [
    "ScoreWindow",
    "Threshold",
    "quantile_threshold",
    "reset_windows",
    "threshold_in_force",
    "window_for",
]


def quantile_threshold(scores: Sequence[float], budget: float) -> float | None:
    """The smallest recent score such that at most `budget` (a share, 0..1) of `scores` lie
    strictly above it; None without scores. Calls scoring above it are the audited share."""
    if not scores:
        return None
    ordered = sorted(scores)
    allowed = math.floor(budget * len(ordered) + 1e-9)  # how many may lie above
    return ordered[max(len(ordered) - 1 - allowed, 0)]


@dataclass(frozen=True, slots=True)
class Threshold:
    """A threshold in force: its value, the raw quantile (None while warming up) and how many
    scores it was computed from (recorded on every decision)."""

    value: float
    quantile: float | None
    samples: int

    def as_details(self, prefix: str) -> dict[str, float | int | None]:
        """`{prefix}_threshold`, `{prefix}_quantile` and `samples`, for decision details."""
        return {
            f"{prefix}_threshold": self.value,
            f"{prefix}_quantile": self.quantile,
            "samples": self.samples,
        }


def threshold_in_force(
    scores: Sequence[float], budget: float, *, floor: float, ceiling: float, min_samples: int
) -> Threshold:
    """The budget's quantile of `scores` clamped to [floor, ceiling]; the ceiling itself while
    fewer than `min_samples` scores are known (only clearly suspicious calls count then)."""
    if len(scores) < max(min_samples, 1):
        return Threshold(value=ceiling, quantile=None, samples=len(scores))
    quantile = quantile_threshold(scores, budget)
    assert quantile is not None
    value = min(max(quantile, floor), ceiling)
    return Threshold(value=value, quantile=quantile, samples=len(scores))


class ScoreWindow:
    """The latest `size` scores of one policy label as this worker knows them."""

    def __init__(self, label: str, size: int, refresh_s: float) -> None:
        self.label = label
        self.size = size
        self.refresh_s = refresh_s
        self.scores: deque[float] = deque(maxlen=size)
        self.fetched_at = -math.inf
        self.database_ok = True

    async def current(self) -> list[float]:
        """The scores, re-read from the database when the copy is older than `refresh_s`."""
        if time.monotonic() - self.fetched_at >= self.refresh_s:
            self.fetched_at = time.monotonic()
            try:
                fresh = await sync_to_async(_recent_scores)(self.label, self.size)
            except Exception:
                self._database_failed("read")
            else:
                self.scores = deque(reversed(fresh), maxlen=self.size)
        return list(self.scores)

    async def add(self, score: float) -> None:
        """Remember `score` here and in the shared window."""
        self.scores.append(score)
        try:
            await sync_to_async(_insert_score)(self.label, score, self.size)
        except Exception:
            self._database_failed("write")

    def _database_failed(self, what: str) -> None:
        if self.database_ok:
            logger.warning(
                "monitor %s: cannot %s the shared score window; using this worker's scores",
                self.label,
                what,
                exc_info=True,
            )
        self.database_ok = False


def _recent_scores(label: str, size: int) -> list[float]:
    """The latest `size` scores of `label`, newest first."""
    rows = MonitorScore.objects.filter(policy=label).order_by("-id")[:size]
    return [float(score) for score in rows.values_list("score", flat=True)]


def _insert_score(label: str, score: float, size: int) -> None:
    """Add a score; now and then drop the rows that fell out of the window."""
    row = MonitorScore.objects.create(policy=label, score=score)
    if row.id % max(size // 4, 1) == 0:
        rows = MonitorScore.objects.filter(policy=label)
        oldest_kept = rows.order_by("-id").values_list("id", flat=True)[size - 1 : size]
        for cutoff in oldest_kept:
            rows.filter(id__lt=cutoff).delete()


_windows: dict[tuple[str, int, float], ScoreWindow] = {}


def window_for(label: str, size: int, refresh_s: float) -> ScoreWindow:
    """This worker's window for a policy label (one per label and window settings)."""
    key = (label, size, refresh_s)
    window = _windows.get(key)
    if window is None:
        window = _windows[key] = ScoreWindow(label, size, refresh_s)
    return window


def reset_windows() -> None:
    """Forget every worker-local window (tests)."""
    _windows.clear()
