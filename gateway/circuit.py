"""Circuit breakers per upstream: a dead upstream fails fast instead of costing every client
the full connect timeout.

    closed ──(N consecutive failures within the window)──► open
    open ──(after the open period)──► half-open: one probe call goes through, others fail fast
    half-open ──probe succeeds──► closed        half-open ──probe fails──► open again

A failure is a transport failure while opening the call (refused, reset, TLS, connect or
header timeout; not the local pool being full) or an upstream 5xx; any other answer is a
success. Failures further apart than the window start a new count. The state lives in this
worker process (each worker learns on its own within N calls; nothing crosses processes), is
exported as the `luthien_upstream_circuit_state` metric and shown by `/health`.

Settings: `LUTHIEN_CIRCUIT_FAILURES` (N, default 5; 0 turns breakers off),
`LUTHIEN_CIRCUIT_WINDOW_S` (30), `LUTHIEN_CIRCUIT_OPEN_S` (30).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings

from gateway import metrics
from wire.errors import UpstreamCircuitOpen
from wire.process_wide import Service

logger = logging.getLogger("gateway.circuit")

CLOSED, HALF_OPEN, OPEN = "closed", "half_open", "open"


@dataclass(slots=True)
class Breaker:
    """The circuit of one upstream."""

    upstream: str
    state: str = CLOSED
    failures: int = 0
    last_failure: float = 0.0
    opened_at: float = 0.0
    probing: bool = False

    def before_call(self, now: float) -> bool:
        """Let the call through (True when it is the half-open probe) or raise
        UpstreamCircuitOpen with the seconds until a probe is allowed."""
        open_s = settings.LUTHIEN_CIRCUIT_OPEN_S
        if self.state == OPEN and now - self.opened_at >= open_s:
            self._set(HALF_OPEN)
        if self.state == CLOSED:
            return False
        if self.state == HALF_OPEN and not self.probing:
            self.probing = True
            return True
        wait = open_s - (now - self.opened_at) if self.state == OPEN else 1.0
        raise UpstreamCircuitOpen(
            f"upstream {self.upstream!r} is failing ({self.failures} failures in a row); "
            f"the gateway is not calling it for now, retry in {math.ceil(wait)} s",
            retry_after_s=math.ceil(wait),
        )

    def success(self) -> None:
        """The upstream answered (any status below 500)."""
        self.failures = 0
        self.probing = False
        if self.state != CLOSED:
            logger.warning("upstream %r answered again: circuit closed", self.upstream)
            self._set(CLOSED)

    def failure(self, now: float) -> None:
        """The upstream failed (transport failure or 5xx)."""
        if now - self.last_failure > settings.LUTHIEN_CIRCUIT_WINDOW_S:
            self.failures = 0
        self.failures += 1
        self.last_failure = now
        self.probing = False
        threshold = settings.LUTHIEN_CIRCUIT_FAILURES
        if self.state == HALF_OPEN or (self.state == CLOSED and self.failures >= threshold):
            logger.error(
                "upstream %r failed %d times in a row: circuit open for %.0f s",
                self.upstream,
                self.failures,
                settings.LUTHIEN_CIRCUIT_OPEN_S,
            )
            self.opened_at = now
            self._set(OPEN)

    def release(self) -> None:
        """The call ended without a verdict (cancelled): a probe slot is freed."""
        self.probing = False

    def _set(self, state: str) -> None:
        self.state = state
        metrics.set_circuit_state(self.upstream, state)


def _forget(breakers: dict[str, Breaker]) -> None:
    metrics.clear_circuit_states()


# Per process (`wire.process_wide`): nothing to close; tests forget every breaker.
_BREAKERS: Service[dict[str, Breaker]] = Service("circuit breakers", dict, on_reset=_forget)


def enabled() -> bool:
    """Whether circuit breakers are on (`LUTHIEN_CIRCUIT_FAILURES` > 0)."""
    return settings.LUTHIEN_CIRCUIT_FAILURES > 0


def breaker(upstream: str) -> Breaker:
    """The breaker of `upstream` in this process."""
    breakers = _BREAKERS.get()
    found = breakers.get(upstream)
    if found is None:
        found = breakers[upstream] = Breaker(upstream)
    return found


def now() -> float:
    """The breakers' clock (monotonic seconds)."""
    return time.monotonic()


def states() -> dict[str, str]:
    """Every known upstream's circuit state, as the next call would see it."""
    open_s = settings.LUTHIEN_CIRCUIT_OPEN_S
    current = now()
    return {
        name: HALF_OPEN if b.state == OPEN and current - b.opened_at >= open_s else b.state
        for name, b in _BREAKERS.get().items()
    }


def reset() -> None:
    """Forget every breaker (tests; `wire.process_wide.reset_all` does it too)."""
    _BREAKERS.reset()
