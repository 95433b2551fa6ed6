"""Reading a gateway's `/health` from fault tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.e2e.servers import Server


def health(server: Server) -> dict[str, Any]:
    """The gateway's `/health` body."""
    return dict(httpx.get(server.url + "/health", timeout=10).json())


def wait_health(
    server: Server, predicate: Callable[[dict[str, Any]], bool], what: str, timeout: float = 30.0
) -> dict[str, Any]:
    """Poll `/health` until `predicate(body)` holds; that body (fails with `what` and the last
    body after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    body = health(server)
    while not predicate(body):
        assert time.monotonic() < deadline, f"{what}: {body}"
        time.sleep(0.1)
        body = health(server)
    return body
