"""ASGI lifespan: start-up work and a clean shutdown (every process-wide service closed:
recordings flushed, clients and background tasks stopped; `wire.process_wide`)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from wire.process_wide import close_all

logger = logging.getLogger("luthien")


async def on_startup() -> None:
    """Check the outbound proxy and CA settings, then start background services of this
    worker: the policy reloader, and the recorder (which replays spill files left by an
    earlier run)."""
    from activity.recorder import recorder
    from policies.reloader import policy_startup
    from wire.egress.transports import check_egress_settings

    check_egress_settings()
    await policy_startup()
    if settings.LUTHIEN_RECORDING:
        recorder().start()
    logger.info("start-up complete")


async def on_shutdown() -> None:
    """Close every process-wide service this worker made, newest first: the policy reloader
    stops, clients close their connections, the recorder flushes what is recorded."""
    failed = await close_all()
    if failed:
        logger.error("shutdown: closing %s failed", ", ".join(failed))
    else:
        logger.info("shutdown complete: process-wide services closed")


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
