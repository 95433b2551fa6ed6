"""Prometheus metrics of the gateway, served at `/metrics` (`luthien_site.metrics_view`).

Requests, latencies, tokens and policy decisions come from one transaction observer
(`MetricsObserver`, registered by `gateway.apps` at start-up): the proxy's hot path gains only
counter increments when a call starts, decides and finishes. Circuit states are set by
`gateway.circuit`, recorder counters by `activity.recorder` through `recorder_event` /
`recorder_queue_depth`, judge latency by the judge client (`policies.metrics`).

With several worker processes, `PROMETHEUS_MULTIPROC_DIR` (set by `make serve` and the image)
makes every worker write its values there and each scrape sums them (prometheus-client's
multiprocess mode); gauges say how they combine (`multiprocess_mode`).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from gateway.transaction_record import TransactionRecord
from policies.context import Decision

# Seconds; the low buckets resolve the gateway's own overhead, the high ones long agent calls.
_OVERHEAD_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)

AUTH_FAILURES = Counter(
    "luthien_auth_failures_total", "Requests refused for a missing or invalid key", ["format"]
)
REQUESTS = Counter(
    "luthien_requests_total",
    "Finished client calls",
    ["format", "upstream", "model", "status_class", "policy", "outcome"],
)
OVERHEAD = Histogram(
    "luthien_gateway_overhead_seconds",
    "The gateway's own time per call (wall time minus upstream and client waits)",
    ["format", "upstream"],
    buckets=_OVERHEAD_BUCKETS,
)
LATENCY = Histogram(
    "luthien_request_duration_seconds",
    "Total time of a call, arrival to last byte",
    ["format", "upstream", "stream"],
    buckets=_LATENCY_BUCKETS,
)
TTFT = Histogram(
    "luthien_time_to_first_byte_seconds",
    "Arrival to the first byte sent to the client (streams)",
    ["format", "upstream"],
    buckets=_LATENCY_BUCKETS,
)
TOKENS = Counter(
    "luthien_tokens_total", "Tokens reported by upstreams", ["upstream", "model", "direction"]
)
DECISIONS = Counter(
    "luthien_policy_decisions_total", "Decisions taken by policies", ["policy", "action"]
)
ACTIVE = Gauge(
    "luthien_active_requests",
    "Calls in progress (started, not yet finished)",
    ["stream"],
    multiprocess_mode="livesum",
)
CIRCUIT = Gauge(
    "luthien_upstream_circuit_state",
    "Circuit breaker per upstream and worker: 0 closed, 1 half-open, 2 open",
    ["upstream"],
    multiprocess_mode="livemax",
)
RATE_LIMIT_FALLBACK = Gauge(
    "luthien_rate_limit_fallback",
    "1 while rate limits fall back to per-worker buckets because Redis is unreachable",
    multiprocess_mode="livemax",
)
RATE_LIMITED = Counter("luthien_rate_limited_total", "Calls refused with 429", ["backend"])
RECORDER_EVENTS = Counter(
    "luthien_recorder_events_total",
    "Recorder counters: submitted, written, spilled, replayed, dropped, failures, ...",
    ["event"],
)
RECORDER_QUEUE = Gauge(
    "luthien_recorder_queue_depth",
    "Finished calls waiting for the recorder's writer",
    multiprocess_mode="livesum",
)

_CIRCUIT_VALUES = {"closed": 0, "half_open": 1, "open": 2}
# The record's status as an operator reads it; `blocked` with a held call counts as escalated.
_OUTCOMES = {
    "completed": "completed",
    "blocked": "blocked",
    "rejected": "rejected",
    "upstream_error": "upstream_error",
    "policy_error": "policy_error",
    "cancelled": "cancelled",
}


def count_auth_failure(fmt: str) -> None:
    """Count one failed authentication."""
    AUTH_FAILURES.labels(format=fmt).inc()


def set_circuit_state(upstream: str, state: str) -> None:
    """Export the circuit state of `upstream` in this worker."""
    CIRCUIT.labels(upstream=upstream).set(_CIRCUIT_VALUES[state])


def clear_circuit_states() -> None:
    """Forget every exported circuit state (tests)."""
    CIRCUIT.clear()


def recorder_event(name: str, amount: int = 1) -> None:
    """Count a recorder event (called by the recorder's counters)."""
    RECORDER_EVENTS.labels(event=name).inc(amount)


def recorder_queue_depth(depth: int) -> None:
    """The recorder's queue depth in this worker."""
    RECORDER_QUEUE.set(depth)


def outcome(record: TransactionRecord) -> str:
    """The outcome label of a finished call: completed, blocked, escalated, rejected,
    policy_error, cancelled or upstream_error."""
    if record.status == "completed" and any(
        str(d.get("action", "")).startswith("escalat") for d in record.decisions
    ):
        return "escalated"
    return _OUTCOMES.get(record.status, record.status)


_MAX_MODELS = 200
_models_seen: set[str] = set()


def model_label(model: str) -> str:
    """`model` as a label; clients choose model names, so past 200 distinct ones in a process
    further names count as `other` (a client cannot blow up the number of series)."""
    if not model:
        return "-"
    if model in _models_seen:
        return model
    if len(_models_seen) >= _MAX_MODELS or len(model) > 100:
        return "other"
    _models_seen.add(model)
    return model


def status_class(http_status: int) -> str:
    """`2xx`, `4xx`, `5xx`; a client gone (499) is `4xx` like nginx counts it."""
    return f"{http_status // 100}xx"


class MetricsObserver:
    """A `gateway.taps` observer that turns each transaction into counter increments."""

    def __init__(self) -> None:
        self._active: dict[str, str] = {}  # started transaction id -> stream label

    def started(self, record: TransactionRecord) -> None:
        stream = "true" if record.stream else "false"
        self._active[record.id] = stream
        ACTIVE.labels(stream=stream).inc()

    def in_flight(self) -> int:
        """Calls of this process started and not yet finished."""
        return len(self._active)

    def decision(self, record: TransactionRecord, decision: Decision) -> None:
        DECISIONS.labels(policy=record.policy_name or "-", action=decision.action).inc()

    def finished(self, record: TransactionRecord) -> None:
        stream = self._active.pop(record.id, None)
        if stream is not None:
            ACTIVE.labels(stream=stream).dec()
        upstream = record.upstream or "-"
        REQUESTS.labels(
            format=record.client_format,
            upstream=upstream,
            model=model_label(record.model),
            status_class=status_class(record.http_status),
            policy=record.policy_name or "-",
            outcome=outcome(record),
        ).inc()
        if record.overhead_ms is not None:
            OVERHEAD.labels(format=record.client_format, upstream=upstream).observe(
                record.overhead_ms / 1000.0
            )
        if record.latency_ms is not None:
            LATENCY.labels(
                format=record.client_format,
                upstream=upstream,
                stream="true" if record.stream else "false",
            ).observe(record.latency_ms / 1000.0)
        if record.first_byte_at is not None and record.stream:
            TTFT.labels(format=record.client_format, upstream=upstream).observe(
                max(0.0, record.first_byte_at - record.started_at)
            )
        model = model_label(record.upstream_model or record.model)
        if record.input_tokens:
            TOKENS.labels(upstream=upstream, model=model, direction="in").inc(record.input_tokens)
        if record.output_tokens:
            TOKENS.labels(upstream=upstream, model=model, direction="out").inc(record.output_tokens)


_observer = MetricsObserver()


def metrics_observer() -> MetricsObserver:
    """The process's metrics observer (registered once at start-up)."""
    return _observer
