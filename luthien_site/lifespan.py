"""ASGI lifespan: start-up work and a clean shutdown (flush recordings, close clients)."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings

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


async def on_shutdown() -> None:
    """Flush what is recorded and close connections."""
    from activity.audience import audience
    from activity.recorder import recorder
    from policies.reloader import policy_shutdown
    from wire.http_client import close_http_client

    await policy_shutdown()
    await audience().aclose()
    await close_http_client()
    await sync_to_async(recorder().close, thread_sensitive=False)()


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
