"""ASGI lifespan: start-up work and a clean shutdown (every process-wide service closed:
recordings flushed, clients and background tasks stopped; `wire.process_wide`)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.conf import settings

from wire.process_wide import close_all

logger = logging.getLogger("luthien")


async def on_startup() -> None:
    """Check the outbound proxy and CA settings, start tracing when configured, then start
    background services of this worker: the policy reloader, the recorder (which replays spill
    files left by an earlier run) and the metrics port when configured."""
    from activity.recorder import recorder
    from luthien_site.metrics_export import start_metrics_port
    from policies.reloader import policy_startup
    from wire.egress.transports import check_egress_settings
    from wire.tracing import configure_tracing

    check_egress_settings()
    configure_tracing(settings.OTEL_EXPORTER_OTLP_ENDPOINT, settings.OTEL_SERVICE_NAME)
    await policy_startup()
    if settings.LUTHIEN_RECORDING:
        recorder().start()
    start_metrics_port(settings.LUTHIEN_METRICS_PORT)
    logger.info("start-up complete")


async def on_shutdown() -> None:
    """Close every process-wide service this worker made, newest first: the policy reloader
    stops, clients close their connections, the recorder flushes what is recorded.

    The server runs this after in-flight calls finished or `LUTHIEN_SHUTDOWN_GRACE_S` ran out
    (uvicorn's `--timeout-graceful-shutdown`, set by `make serve` and the image); calls still
    running then were cancelled, and their records are finished first (499) so the recorder's
    last flush (or spill) includes them."""
    from luthien_site.metrics_export import worker_exit
    from wire.tracing import shutdown_tracing

    await _cancelled_calls_finished()
    failed = await close_all()
    if failed:
        logger.error("shutdown: closing %s failed", ", ".join(failed))
    else:
        logger.info("shutdown complete: process-wide services closed")
    await asyncio.to_thread(shutdown_tracing)
    worker_exit()


async def _cancelled_calls_finished(limit_s: float = 2.0) -> None:
    """Let calls the server cancelled at the end of the grace period run their cleanup (the
    record of each is finished then)."""
    from gateway.metrics import metrics_observer

    observer = metrics_observer()
    deadline = asyncio.get_running_loop().time() + limit_s
    # Polled: a hot-path event per call would cost every call for the sake of shutdown.
    while observer.in_flight() and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.01)


async def handle_lifespan(receive: Any, send: Any) -> None:
    """Answer the ASGI lifespan protocol."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await on_startup()
            except Exception as error:
                logger.exception("start-up failed")
                await send({"type": "lifespan.startup.failed", "message": str(error)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            try:
                await on_shutdown()
            finally:
                await send({"type": "lifespan.shutdown.complete"})
            return
