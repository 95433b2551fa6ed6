"""The processes of the real-client suite: the pinned CLIs from npm, one gateway per policy.

Each policy gets its own gateway process (with `POLICY_CONFIG`, its own SQLite file and no
Redis, so no other test's activation reaches it) behind a capture proxy that records what the
client sent. The gateway key is
the bootstrap `PROXY_API_KEY`, so no database row is needed.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REQUIRE_SERVICES
from tests.e2e.clients.capture import read_captures
from tests.e2e.clients.npm import NpmUnavailable, npm_install
from tests.e2e.clients.versions import PINNED
from tests.e2e.servers import ROOT, Server, free_port, gateway_env, start_gateway, stop, wait_http

CLIENT_KEY = "lk-e2e-clients-key-0123456789"


@dataclass
class ClientGateway:
    """A gateway with one policy, the capture proxy in front of it, and the capture file."""

    policy: str
    gateway: Server
    proxy: Server
    captures: Path

    @property
    def url(self) -> str:
        """The base URL clients use (the capture proxy's)."""
        return self.proxy.url

    def mark(self) -> int:
        """How many requests were captured so far (see `since`)."""
        return len(read_captures(self.captures))

    def since(self, mark: int) -> list[dict[str, Any]]:
        """The requests captured after `mark`."""
        return read_captures(self.captures)[mark:]

    def stop(self) -> None:
        """Stop the proxy and the gateway."""
        try:
            self.proxy.stop()
        finally:
            self.gateway.stop()


def client_binary(name: str) -> Path:
    """The installed program of a pinned client (installed on first use)."""
    try:
        return npm_install(PINNED[name])
    except NpmUnavailable as error:
        if REQUIRE_SERVICES:
            pytest.fail(f"{PINNED[name].spec}: {error}")
        pytest.skip(f"{PINNED[name].spec} not installable: {error}")


def start_client_gateway(policy: str, mock_url: str, folder: Path) -> ClientGateway:
    """Migrate a fresh SQLite file, start the gateway with `policy`, then the capture proxy."""
    policy_file = folder / "policy.yaml"
    policy_file.write_text(f"name: {policy}\npolicy: {policy}\n")
    env = gateway_env(
        f"sqlite:///{folder / 'db.sqlite3'}",
        mock_url,
        POLICY_CONFIG=str(policy_file),
        PROXY_API_KEY=CLIENT_KEY,
        REDIS_URL="",
        LUTHIEN_SPILL_DIR=str(folder / "spill"),
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    gateway = start_gateway(env)
    try:
        proxy = start_capture_proxy(gateway.url, folder / "captures.jsonl")
    except Exception:
        gateway.stop()
        raise
    return ClientGateway(policy, gateway, proxy, folder / "captures.jsonl")


def start_capture_proxy(target: str, out: Path) -> Server:
    """`python -m tests.e2e.clients.capture` in front of `target`, on a free port."""
    port = free_port()
    command = [sys.executable, "-m", "tests.e2e.clients.capture", "--target", target]
    command += ["--out", str(out), "--port", str(port)]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/health", process)
    except Exception:
        stop(process)
        raise
    out.unlink(missing_ok=True)  # the readiness probe is not a client request
    return Server(process, url, port)
