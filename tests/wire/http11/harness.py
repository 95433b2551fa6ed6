"""The harness shared by the `Http11Transport` tests: `httpx.AsyncClient` over the transport,
against scripted raw-TCP upstreams on 127.0.0.1.

Each upstream (`tests.wire.http11.servers`) sends exactly the bytes a test scripts, closes
or stalls when told, and records what it received and how many connections it accepted, so
the tests see the wire, not the transport's own account of it. Every test runs on both the
standard asyncio loop and uvloop (whose transports are not `asyncio.Transport` subclasses),
each in its own `asyncio.Runner`, bounded so that a hang fails instead of blocking.

These tests are pure asyncio: this package's `conftest.py` turns the project-wide reset off.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import httpx
import pytest
import uvloop

from tests.wire.http11.servers import HANG_GUARD_S
from wire.http11.transport import Http11Transport

LOOP_FACTORIES: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "asyncio": asyncio.new_event_loop,
    "uvloop": uvloop.new_event_loop,
}
CLIENT_HEADERS = {"Accept-Encoding": "identity", "User-Agent": "http11-test"}

Scenario = Callable[[], Coroutine[Any, Any, None]]


def run_on(loop: str, scenario: Scenario) -> None:
    """Run `scenario` in a fresh `loop` event loop, bounded so that a hang fails."""

    async def bounded() -> None:
        async with asyncio.timeout(3 * HANG_GUARD_S):
            await scenario()

    with asyncio.Runner(loop_factory=LOOP_FACTORIES[loop]) as runner:
        runner.run(bounded())


def on_both_loops(scenario: Scenario) -> Callable[[str], None]:
    """Turn an async scenario into a test that runs it on each event loop."""

    @pytest.mark.parametrize("loop", list(LOOP_FACTORIES))
    def test(loop: str) -> None:
        run_on(loop, scenario)

    test.__name__ = test.__qualname__ = scenario.__name__
    test.__doc__ = scenario.__doc__
    return test


def make_client(transport: Http11Transport, **timeouts: float) -> httpx.AsyncClient:
    """A client over `transport`; timeouts not given are the hang guard."""
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(HANG_GUARD_S, **timeouts),
        headers=CLIENT_HEADERS,
        trust_env=False,
    )


async def first_chunk(response: httpx.Response) -> tuple[bytes, AsyncIterator[bytes]]:
    """The first body chunk of a streamed response, and the iterator for the rest."""
    chunks = response.aiter_raw()
    async with asyncio.timeout(HANG_GUARD_S):
        return await anext(chunks), chunks
