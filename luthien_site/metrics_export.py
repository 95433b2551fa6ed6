"""Exposition of the Prometheus metrics: one worker's registry, or every worker's values when
`PROMETHEUS_MULTIPROC_DIR` is set (prometheus-client's multiprocess mode), and the optional
separate port `LUTHIEN_METRICS_PORT`."""

from __future__ import annotations

import logging
import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
    start_http_server,
)

logger = logging.getLogger("luthien")
CONTENT_TYPE = CONTENT_TYPE_LATEST
_server: Any = None


def multiprocess_dir() -> str:
    """The shared directory of multiprocess mode ('' when off)."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def registry() -> CollectorRegistry:
    """What a scrape reads: all workers' values in multiprocess mode, else this process's."""
    if not multiprocess_dir():
        return REGISTRY
    combined = CollectorRegistry()
    multiprocess.MultiProcessCollector(combined)  # type: ignore[no-untyped-call]
    return combined


def render_metrics() -> bytes:
    """The text exposition of every metric."""
    return generate_latest(registry())


def start_metrics_port(port: int) -> None:
    """Serve the metrics on `port` without authentication (private network). With several
    workers only the first to bind it serves (each scrape reads every worker's values in
    multiprocess mode); the others skip it."""
    global _server
    if not port or _server is not None:
        return
    try:
        _server = start_http_server(port, registry=registry())
    except OSError:
        logger.info("metrics port %s already served by another worker", port)


def worker_exit() -> None:
    """Mark this worker dead for the live gauges of multiprocess mode (shutdown)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
