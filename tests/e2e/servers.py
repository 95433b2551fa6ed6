"""Real processes for end-to-end tests: the mock upstream and the gateway (uvicorn)."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


E2E_ADMIN_KEY = "e2e-admin-key"  # lets fixtures flush a gateway's recorder


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(
    url: str,
    process: subprocess.Popen[bytes],
    timeout: float = 30.0,
    *,
    verify: ssl.SSLContext | bool = True,
) -> None:
    """Wait until `url` answers (any status) or fail with the process output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited early:\n{_output(process)}")
        try:
            httpx.get(url, timeout=1.0, verify=verify)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{url} did not answer in {timeout}s:\n{_output(process)}")


def _output(process: subprocess.Popen[bytes]) -> str:
    if process.poll() is None:
        process.kill()
    out, _ = process.communicate(timeout=5)
    return (out or b"").decode(errors="replace")[-4000:]


def stop(process: subprocess.Popen[bytes]) -> str:
    """Terminate gracefully (lifespan shutdown runs), then kill; returns the output tail."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    return _output(process)


@dataclass
class Server:
    """A running process and its base URL."""

    process: subprocess.Popen[bytes]
    url: str
    port: int
    env: dict[str, str] = field(default_factory=dict)

    def stop(self) -> str:
        """Stop the process; returns its output tail."""
        if self in _GATEWAYS:
            _GATEWAYS.remove(self)
        return stop(self.process)


_GATEWAYS: list[Server] = []  # started by start_gateway and not stopped yet


def running_gateways(database_url: str) -> list[Server]:
    """Gateway processes still running that record into `database_url`: what must settle
    before that database is flushed (`tests/e2e/conftest.py`)."""
    return [
        server
        for server in _GATEWAYS
        if server.process.poll() is None and server.env.get("DATABASE_URL") == database_url
    ]


def start_mock(
    port: int | None = None, *, certfile: str | None = None, trust: ssl.SSLContext | None = None
) -> Server:
    """`python -m wire.mock` on `port` (a free one by default); over HTTPS with `certfile`
    (a PEM with key and chain), checked with `trust`."""
    port = port or free_port()
    tls = ["--ssl-certfile", certfile] if certfile else []
    process = subprocess.Popen(
        [sys.executable, "-m", "wire.mock", "--port", str(port), *tls],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"{'https' if certfile else 'http'}://127.0.0.1:{port}"
    wait_http(url + "/v1/models", process, verify=trust or True)
    return Server(process, url, port)


def gateway_env(database_url: str, mock_url: str, **extra: str) -> dict[str, str]:
    """Environment of a gateway process sharing the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        {
            "DATABASE_URL": database_url,
            "LUTHIEN_MOCK_UPSTREAM": mock_url,
            "SECRET_KEY": "e2e-secret",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LUTHIEN_RECORDER_FLUSH_INTERVAL_S": "0.05",
            "ADMIN_API_KEY": E2E_ADMIN_KEY,
            "DJANGO_SETTINGS_MODULE": "luthien_site.settings",
        }
    )
    env.update(extra)
    return env


def start_gateway(
    env: dict[str, str],
    *,
    workers: int = 1,
    extra_args: tuple[str, ...] = (),
    wrapper: tuple[str, ...] = (),
) -> Server:
    """uvicorn serving the gateway with `env`, on a free port (`extra_args`: more uvicorn
    options; `wrapper`: a command that runs it, e.g. `prlimit --fsize=0 --`)."""
    port = free_port()
    process = subprocess.Popen(
        [
            *wrapper,
            str(VENV_BIN / "uvicorn"),
            "luthien_site.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "on",
            "--no-access-log",
            "--log-level",
            "warning",
            "--workers",
            str(workers),
            *extra_args,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/health", process)
    server = Server(process, url, port, env)
    _GATEWAYS.append(server)
    return server
