"""Daphne serving the gateway, with the lifespan start-up and shutdown that daphne itself does
not run (`luthien_site.daphne_server`): `manage.py runserver` (what `make run` serves with,
with and without the autoreloader) and daphne's command line (`make serve SERVER=daphne`).

Each case seeds a fresh SQLite database like `make run` (migrate, `luthien_demo`), serves
against the mock upstream process, calls `/health` and a chat completion with the
demo key, then stops the server as a developer would and checks that the shutdown closed every
process-wide service and the call was recorded.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.servers import ROOT, Server, free_port, gateway_env, wait_http

pytestmark = pytest.mark.e2e


def _manage(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _env(database: Path, mock_url: str, spill: Path) -> dict[str, str]:
    env = gateway_env(f"sqlite:///{database}", mock_url, DEBUG="1", LUTHIEN_SPILL_DIR=str(spill))
    env.pop("REDIS_URL", None)  # like a plain `make run`: in-memory layer, database stamp
    return env


@pytest.fixture(scope="module")
def migrated(mock_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database, copied by each case (migrating once saves seconds)."""
    folder = tmp_path_factory.mktemp("migrated")
    database = folder / "template.sqlite3"
    _manage("migrate", "--noinput", "-v", "0", env=_env(database, mock_server.url, folder))
    return database


def _default_sigint() -> None:
    """Ctrl-C must reach Python as KeyboardInterrupt even when the test runner ignores it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


RUNSERVER = [sys.executable, "manage.py", "runserver"]
DAPHNE = [sys.executable, "-m", "luthien_site.daphne_server", "-v", "0"]


def _command(kind: str, port: int) -> list[str]:
    if kind == "runserver":  # `make run`
        return [*RUNSERVER, f"127.0.0.1:{port}"]
    if kind == "runserver-noreload":
        return [*RUNSERVER, "--noreload", f"127.0.0.1:{port}"]
    # `make serve SERVER=daphne`
    return [*DAPHNE, "-b", "127.0.0.1", "-p", str(port), "luthien_site.asgi:application"]


@pytest.mark.parametrize(
    ("kind", "stop_signal"),
    [
        ("runserver", signal.SIGINT),
        ("runserver-noreload", signal.SIGTERM),
        ("daphne-cli", signal.SIGTERM),
    ],
    ids=["runserver-autoreload-ctrl-c", "runserver-noreload-sigterm", "daphne-cli-sigterm"],
)
def test_daphne_serves_the_gateway_and_runs_the_lifespan(
    mock_server: Server,
    migrated: Path,
    tmp_path: Path,
    kind: str,
    stop_signal: signal.Signals,
) -> None:
    database = tmp_path / "run.sqlite3"
    shutil.copyfile(migrated, database)
    env = _env(database, mock_server.url, tmp_path)
    port = free_port()
    demo = _manage("luthien_demo", "--port", str(port), env=env)
    found = re.search(r"Demo API key[^:]*: (\S+)", demo)
    assert found, demo
    key = found.group(1)

    process = subprocess.Popen(
        _command(kind, port),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # the autoreloader's parent and child form one group
        preexec_fn=_default_sigint,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/health", process, timeout=60)
        health = httpx.get(url + "/health", timeout=10)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        reply = httpx.post(
            url + "/v1/chat/completions",
            headers={"authorization": f"Bearer {key}"},
            json={"model": "mock/echo", "messages": [{"role": "user", "content": "hi daphne"}]},
            timeout=30,
        )
        assert reply.status_code == 200, reply.text
        assert "hi daphne" in reply.json()["choices"][0]["message"]["content"]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, stop_signal)  # Ctrl-C reaches the whole group
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
    text = output.decode(errors="replace")
    if kind.startswith("runserver"):
        assert "Starting ASGI/Daphne" in text, text
    assert "start-up complete" in text, text
    assert "shutdown complete: process-wide services closed" in text, text
    assert "Traceback" not in text, text
    assert process.returncode == 0, text
    with sqlite3.connect(database) as db:
        (recorded,) = db.execute("SELECT count(*) FROM activity_transaction").fetchone()
    assert recorded == 1
