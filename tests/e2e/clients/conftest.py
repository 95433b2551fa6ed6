"""Fixtures of the real-client suite: the pinned CLIs (installed from npm on first use) and
one gateway per policy (started on first use, stopped at the end of the session); see
`tests.e2e.clients.gateways`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.clients.gateways import ClientGateway, client_binary, start_client_gateway
from tests.e2e.servers import Server


@pytest.fixture(scope="session")
def client_binaries() -> Callable[[str], Path]:
    """`binary(name)`: the pinned CLI's program, installed once per session (and cache)."""
    found: dict[str, Path] = {}

    def binary(name: str) -> Path:
        if name not in found:
            found[name] = client_binary(name)
        return found[name]

    return binary


@pytest.fixture(scope="session")
def client_gateways(
    mock_server: Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], ClientGateway]]:
    """`gateway(policy)`: a gateway running `policy`, started on first use."""
    started: dict[str, ClientGateway] = {}

    def gateway(policy: str) -> ClientGateway:
        if policy not in started:
            folder = tmp_path_factory.mktemp(f"gateway-{policy}")
            started[policy] = start_client_gateway(policy, mock_server.url, folder)
        return started[policy]

    yield gateway
    for running in started.values():
        running.stop()
