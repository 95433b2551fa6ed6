"""Per-request clock: wall time minus time spent waiting on the upstream and the client."""

from __future__ import annotations

import time


class RequestClock:
    """Measures the gateway's own overhead for one request."""

    __slots__ = ("client_wait", "first_byte", "started", "upstream_started", "upstream_wait")

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.upstream_started: float | None = None
        self.upstream_wait = 0.0
        self.client_wait = 0.0
        self.first_byte: float | None = None

    def elapsed_ms(self, now: float | None = None) -> float:
        """Wall time since the request arrived."""
        return ((now or time.perf_counter()) - self.started) * 1000.0

    def overhead_ms(self, now: float | None = None) -> float:
        """Wall time not spent waiting for the upstream or the client."""
        elapsed = (now or time.perf_counter()) - self.started
        return max(elapsed - self.upstream_wait - self.client_wait, 0.0) * 1000.0
