"""Daphne with the ASGI lifespan: start-up before serving, shutdown before the reactor stops.

Daphne (the Channels server behind `manage.py runserver`) speaks no lifespan protocol, so the
start-up and shutdown work of `luthien_site.lifespan` would never run under it. `LifespanServer`
drives the protocol itself, as uvicorn does (`luthien_site.asgi_lifespan`): it sends
`lifespan.startup` to the application on the reactor's event loop and waits for the answer
before serving (a failed start-up raises `LifespanFailed`), and sends `lifespan.shutdown` from
a Twisted "before shutdown" trigger, which Twisted waits for while the loop still runs.

How the reactor gets stopped:
- `--noreload`: daphne installs Twisted's signal handlers; SIGINT (Ctrl-C) and SIGTERM stop it.
- with the autoreloader (the default, `make run`): the server runs in a thread of a child
  process, without signal handlers, and the child ends by exiting (a code change, or Ctrl-C's
  KeyboardInterrupt in its main thread). An `atexit` hook then stops the reactor from the main
  thread and waits for the shutdown to finish, so a reload closes services cleanly too.

`python -m luthien_site.daphne_server [daphne options] luthien_site.asgi:application` is daphne's
own command line with this server (no autoreload; `make serve SERVER=daphne`, the bench).
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import threading
from typing import Any

from daphne.cli import CommandLineInterface
from daphne.server import Server
from twisted.internet import defer
from twisted.internet import reactor as _reactor

from luthien_site.asgi_lifespan import LifespanFailed, LifespanManager

__all__ = ["LifespanCommandLine", "LifespanFailed", "LifespanServer"]

logger = logging.getLogger("luthien")
reactor: Any = _reactor  # the asyncio reactor daphne installed (Twisted's stubs type it loosely)

SHUTDOWN_WAIT_S = 15.0  # at interpreter exit, how long to wait for the lifespan shutdown


class LifespanServer(Server):  # type: ignore[misc]  # daphne is untyped
    """Daphne's `Server` that runs the application's lifespan start-up and shutdown."""

    def run(self) -> None:
        """Start the application up on the reactor's loop, then serve until stopped."""
        loop: asyncio.AbstractEventLoop = reactor._asyncioEventloop
        manager = LifespanManager(self.application)
        loop.run_until_complete(manager.startup())  # raises LifespanFailed
        done = threading.Event()

        async def shut_down() -> None:
            try:
                await manager.shutdown()
            finally:
                done.set()

        def before_shutdown() -> defer.Deferred[Any]:
            return defer.Deferred.fromFuture(loop.create_task(shut_down()))

        def at_exit() -> None:
            """The interpreter is exiting with the reactor still running in another thread
            (autoreloader): stop it there and wait for the lifespan shutdown."""
            if reactor.running and not done.is_set():
                reactor.callFromThread(reactor.stop)
                if not done.wait(SHUTDOWN_WAIT_S):
                    logger.error("lifespan shutdown did not finish in %.0fs", SHUTDOWN_WAIT_S)

        reactor.addSystemEventTrigger("before", "shutdown", before_shutdown)
        if not self.signal_handlers:
            atexit.register(at_exit)
        super().run()


class LifespanCommandLine(CommandLineInterface):  # type: ignore[misc]  # daphne is untyped
    """daphne's command line, serving through `LifespanServer`."""

    server_class = LifespanServer


if __name__ == "__main__":  # python -m luthien_site.daphne_server [daphne options] APP
    LifespanCommandLine.entrypoint()
