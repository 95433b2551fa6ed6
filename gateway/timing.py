"""Per-request clock: wall time minus time spent waiting on the upstream, the client, and a
human deciding on a held tool call."""

from __future__ import annotations

import time


class RequestClock:
    """Measures the gateway's own overhead for one request."""

    __slots__ = (
        "approval_wait",
        "client_wait",
        "first_byte",
        "started",
        "upstream_started",
        "upstream_wait",
    )

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.upstream_started: float | None = None
        self.upstream_wait = 0.0
        self.client_wait = 0.0
        self.approval_wait = 0.0  # a held tool call waiting for a reviewer
        self.first_byte: float | None = None

    def elapsed_ms(self, now: float | None = None) -> float:
        """Wall time since the request arrived."""
        return ((now or time.perf_counter()) - self.started) * 1000.0

    def overhead_ms(self, now: float | None = None) -> float:
        """Wall time not spent waiting for the upstream, the client or a reviewer."""
        elapsed = (now or time.perf_counter()) - self.started
        waited = self.upstream_wait + self.client_wait + self.approval_wait
        return max(elapsed - waited, 0.0) * 1000.0
