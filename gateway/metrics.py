"""Prometheus metrics of the proxy (served at `/metrics`)."""

from __future__ import annotations

from prometheus_client import Counter

AUTH_FAILURES = Counter(
    "luthien_auth_failures_total", "Requests refused for a missing or invalid key", ["format"]
)


def count_auth_failure(fmt: str) -> None:
    """Count one failed authentication."""
    AUTH_FAILURES.labels(format=fmt).inc()
