"""The two servers of a bench run: the mock upstream and the gateway, each on its own CPU."""

from __future__ import annotations

import os
from pathlib import Path

from bench.processes import (
    VENV_BIN,
    ServerProcess,
    StartError,
    free_port,
    pinned,
    run_once,
    start_server,
)

API_KEY = "bench-key"
SERVERS = ("uvicorn", "daphne")  # the ASGI servers the gateway can be measured under
MOCK_CPU, GATEWAY_CPU = 1, 0
# Inherited settings that would change what is measured; the gateway's defaults apply instead.
_DROPPED_ENV = (
    "REDIS_URL",
    "POLICY_CONFIG",
    "ADMIN_API_KEY",
    "LOG_LEVEL",
    "DJANGO_SETTINGS_MODULE",
)


def start_mock(workdir: Path) -> ServerProcess:
    """The mock upstream, pinned to `MOCK_CPU`; ready when `GET /v1/models` answers."""
    port = free_port()
    command = [str(VENV_BIN / "python"), "-m", "wire.mock", "--port", str(port)]
    return start_server(
        "mock upstream",
        pinned(command, MOCK_CPU),
        port=port,
        log=workdir / "mock.log",
        ready_path="/v1/models",
    )


def gateway_env(workdir: Path, mock_url: str, policy_file: Path | None) -> dict[str, str]:
    """The gateway's environment: a fresh SQLite file, the bench key, recording on."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LUTHIEN_") and key not in _DROPPED_ENV
    }
    env.update(
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
        PROXY_API_KEY=API_KEY,
        LUTHIEN_MOCK_UPSTREAM=mock_url,
        LUTHIEN_SPILL_DIR=str(workdir / "spill"),
        DEBUG="0",
        SECRET_KEY="bench",
    )
    if policy_file is not None:
        env["POLICY_CONFIG"] = str(policy_file)
    return env


APPS = {"lane": "luthien_site.asgi:application", "django": "bench.django_entry:application"}


def start_gateway(
    workdir: Path, env: dict[str, str], *, entry: str = "lane", server: str = "uvicorn"
) -> ServerProcess:
    """Migrate a fresh database, then start the gateway under `server` pinned to `GATEWAY_CPU`,
    serving `/v1/` through `entry` (see `APPS`)."""
    ok, output = run_once([str(VENV_BIN / "python"), "manage.py", "migrate", "--noinput"], env=env)
    if not ok:
        raise StartError(f"manage.py migrate failed:\n{output}")
    port = free_port()
    command = gateway_command(server, port, APPS[entry])
    return start_server(
        "gateway", pinned(command, GATEWAY_CPU), port=port, log=workdir / "gateway.log", env=env
    )


def gateway_command(server: str, port: int, app: str = APPS["lane"]) -> list[str]:
    """The command serving `app` on `port`: uvicorn (uvloop, httptools) as `make serve` runs
    it, or daphne with the lifespan (`luthien_site.daphne_server`); no access logs."""
    if server == "uvicorn":
        return [
            str(VENV_BIN / "uvicorn"),
            app,
            *("--host", "127.0.0.1", "--port", str(port), "--lifespan", "on", "--no-access-log"),
            *("--log-level", "warning", "--loop", "uvloop", "--http", "httptools"),
        ]
    if server == "daphne":
        python = str(VENV_BIN / "python")
        daphne = [python, "-m", "luthien_site.daphne_server"]
        return [*daphne, "-b", "127.0.0.1", "-p", str(port), "-v", "0", app]
    raise ValueError(f"unknown server {server!r} (known: {', '.join(SERVERS)})")
