"""ASGI lifespan: start-up work and a clean shutdown (flush recordings, close clients)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings

logger = logging.getLogger("luthien")
RECORDER_CLOSE_S = 10.0  # then what the database has not taken goes to the spill file


async def on_startup() -> None:
    """Check the outbound proxy and CA settings, then start background services of this
    worker: the policy reloader, and the recorder (which replays spill files left by an
    earlier run)."""
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


async def on_shutdown() -> None:
    """Flush what is recorded and close connections.

    The server runs this after in-flight calls finished or `LUTHIEN_SHUTDOWN_GRACE_S` ran out
    (uvicorn's `--timeout-graceful-shutdown`, set by `make serve` and the image); calls still
    running then were cancelled and are recorded as such (499). Whatever the database does not
    take within `RECORDER_CLOSE_S` goes to the spill file."""
    from activity.audience import audience
    from activity.recorder import recorder
    from gateway.rate_limit import rate_limiter
    from luthien_site.metrics_export import worker_exit
    from policies.reloader import policy_shutdown
    from wire.http_client import close_http_client
    from wire.tracing import shutdown_tracing

    await _cancelled_calls_finished()
    await policy_shutdown()
    await audience().aclose()
    await rate_limiter().aclose()
    await close_http_client()
    await sync_to_async(recorder().close, thread_sensitive=False)(RECORDER_CLOSE_S)
    await sync_to_async(shutdown_tracing, thread_sensitive=False)()
    worker_exit()


async def _cancelled_calls_finished(limit_s: float = 2.0) -> None:
    """Let calls the server cancelled at the end of the grace period run their cleanup (the
    record of each is finished then), so the recorder's final flush includes them."""
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
