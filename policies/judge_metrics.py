"""Prometheus metrics of judge calls (served with the gateway's at `/metrics`)."""

from __future__ import annotations

from prometheus_client import Histogram

JUDGE_LATENCY = Histogram(
    "luthien_judge_duration_seconds",
    "Time of one judge call, by outcome (ok, timeout, error)",
    ["outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0),
)


def observe_judge(seconds: float, outcome: str) -> None:
    """Record one judge call's duration."""
    JUDGE_LATENCY.labels(outcome=outcome).observe(seconds)
