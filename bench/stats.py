"""From the samples of one load run to the reported numbers."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from bench.loadgen import Run


@dataclass(frozen=True, slots=True)
class Summary:
    """The numbers reported for one run (milliseconds, requests per second, percent)."""

    n: int
    errors: int
    p50_ms: float | None
    p99_ms: float | None
    ttft_p50_ms: float | None
    ttft_p99_ms: float | None
    rps: float | None
    cpu_ms_per_request: float | None
    overhead_header_ms: float | None
    client_cpu_percent: float | None
    first_error: str | None


def summarize(run: Run) -> Summary:
    """Percentiles over the successful samples; errors counted, the first one kept."""
    ok = [sample for sample in run.samples if sample.error is None]
    failed = [sample for sample in run.samples if sample.error is not None]
    latencies = sorted(sample.latency * 1000.0 for sample in ok)
    ttfts = sorted(sample.ttft * 1000.0 for sample in ok if sample.ttft is not None)
    overheads = [sample.overhead_ms for sample in ok if sample.overhead_ms is not None]
    elapsed = run.elapsed_s or None
    return Summary(
        n=len(ok),
        errors=len(failed),
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        ttft_p50_ms=percentile(ttfts, 50),
        ttft_p99_ms=percentile(ttfts, 99),
        rps=len(ok) / elapsed if elapsed else None,
        cpu_ms_per_request=(
            run.server_cpu_s * 1000.0 / len(ok) if run.server_cpu_s is not None and ok else None
        ),
        overhead_header_ms=statistics.median(overheads) if overheads else None,
        client_cpu_percent=100.0 * run.client_cpu_s / elapsed if elapsed else None,
        first_error=failed[0].error if failed else None,
    )


def percentile(ordered: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an already sorted list (None when empty)."""
    if not ordered:
        return None
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[min(int(rank), len(ordered)) - 1]
