"""Throwaway PostgreSQL and Redis instances that fault tests may stop and start at will.

The shared services of a developer or of CI (`DATABASE_URL`, `REDIS_URL`) are never touched:
each instance here listens on a free port of its own, is driven with the machine's own
commands (Debian's `pg_createcluster` / `pg_ctlcluster` / `pg_dropcluster`, `redis-server` /
`redis-cli shutdown`) and is removed at teardown, or by `atexit` if the test process dies
before its fixtures finish.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from tests.e2e.servers import ROOT, free_port

PG_COMMANDS = ("pg_createcluster", "pg_ctlcluster", "pg_dropcluster")
REDIS_COMMANDS = ("redis-server", "redis-cli")


def missing_commands(commands: tuple[str, ...]) -> list[str]:
    """Which of `commands` are not on the PATH."""
    return [name for name in commands if shutil.which(name) is None]


def postgres_major() -> str | None:
    """The installed PostgreSQL major version (Debian: `/etc/postgresql/<v>`), newest first."""
    root = Path("/etc/postgresql")
    if not root.is_dir():
        return None
    versions = sorted((p.name for p in root.iterdir() if p.name.isdigit()), key=int)
    return versions[-1] if versions else None


def _run(*command: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def _wait(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} within {timeout}s")


@dataclass
class ThrowawayPostgres:
    """A PostgreSQL cluster of its own: trust auth, localhost only, never auto-started."""

    version: str
    name: str = field(default_factory=lambda: f"luthien_faults_{uuid.uuid4().hex[:8]}")
    port: int = field(default_factory=free_port)
    database: str = "luthien_faults"
    removed: bool = False

    @property
    def url(self) -> str:
        """DATABASE_URL of its database."""
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.database}"

    def create(self) -> None:
        """Create and start the cluster, then its database, migrated."""
        atexit.register(self.remove)
        _run(
            "pg_createcluster", self.version, self.name, "--port", str(self.port),
            "--start-conf", "manual",
            "-o", "fsync=off",
            "-o", "synchronous_commit=off", "-o", "full_page_writes=off",
            "--", "--auth-local=trust", "--auth-host=trust",
        )  # fmt: skip
        self.start()
        with psycopg.connect(self._admin_url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self.database}"')
        self._migrate()

    def clone(self) -> ThrowawayDatabase:
        """A new database copied from the migrated one: a fresh start for one test (what an
        earlier test activated or recorded is not there)."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self._admin_url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.database}"')
        return ThrowawayDatabase(self, name)

    def _migrate(self) -> None:
        _manage(self.url, "migrate", "--noinput", "-v", "0")

    def _admin_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def accepting(self) -> bool:
        """Whether the server answers a connection."""
        try:
            with psycopg.connect(self._admin_url(), connect_timeout=1):
                return True
        except psycopg.Error:
            return False

    def start(self) -> None:
        """`pg_ctlcluster start`, then wait until it accepts connections."""
        _run("pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, "start")
        _wait(self.accepting, f"PostgreSQL {self.name} did not accept connections")

    def stop(self) -> None:
        """`pg_ctlcluster stop -m fast` (sessions are cut, as in a crash or failover)."""
        _run(
            "pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, "stop",
            "-m", "fast",
        )  # fmt: skip

    def remove(self) -> None:
        """Stop and delete the cluster (idempotent; also run at exit)."""
        if self.removed:
            return
        self.removed = True
        subprocess.run(
            ["pg_dropcluster", "--stop", self.version, self.name],
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip


def _manage(database_url: str, *arguments: str) -> str:
    """`manage.py <arguments>` against `database_url` (no Redis); the command's output."""
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": ""}
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *arguments],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {arguments[0]} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


@dataclass
class ThrowawayDatabase:
    """One test's database in the throwaway cluster; `stop`/`start` act on the whole cluster."""

    cluster: ThrowawayPostgres
    name: str

    @property
    def url(self) -> str:
        """DATABASE_URL of this database."""
        return f"postgres://postgres@127.0.0.1:{self.cluster.port}/{self.name}"

    def stop(self) -> None:
        """Stop the cluster (`pg_ctlcluster stop -m fast`)."""
        self.cluster.stop()

    def start(self) -> None:
        """Start the cluster again and wait until it accepts connections."""
        self.cluster.start()

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        """Rows of one query on this database."""
        with psycopg.connect(self.url, connect_timeout=3) as connection:
            return connection.execute(sql, params).fetchall()  # type: ignore[arg-type]

    def create_key(self, name: str, *, per_minute: int, burst: int) -> str:
        """A client key with its own rate limit, stored in this database; the secret."""
        code = (
            "from gateway.keys import api_key_create; "
            f"print(api_key_create(name={name!r}, rate_limit_per_minute={per_minute}, "
            f"rate_limit_burst={burst})[1])"
        )
        return _manage(self.url, "shell", "-c", code).strip().splitlines()[-1]


def wait_rows(database: ThrowawayDatabase, ids: list[str], timeout: float = 20.0) -> set[str]:
    """The subset of `ids` stored as transactions, once all are (or after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = database.query("SELECT id FROM activity_transaction WHERE id = ANY(%s)", ids)
        stored = {str(row[0]) for row in rows}
        if stored == set(ids) or time.monotonic() > deadline:
            return stored
        time.sleep(0.1)


@dataclass
class ThrowawayRedis:
    """A `redis-server` of its own: no persistence, 127.0.0.1 only, a free port."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """REDIS_URL of it."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start `redis-server` in the foreground as a child; wait until it answers PING."""
        if not self.process:
            atexit.register(self.remove)
        self.process = subprocess.Popen(
            [
                "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.directory),
                "--logfile", str(self.directory / "redis.log"),
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait(self.answers, f"redis-server on {self.port} did not answer PING")

    def answers(self) -> bool:
        """Whether PING gets PONG."""
        done = subprocess.run(
            ["redis-cli", "-p", str(self.port), "ping"],
            capture_output=True, text=True, timeout=5, check=False,
        )  # fmt: skip
        return done.stdout.strip() == "PONG"

    def stop(self) -> None:
        """`redis-cli shutdown nosave`, then wait for the process to end."""
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"],
            capture_output=True, timeout=10, check=False,
        )  # fmt: skip
        if self.process is not None:
            self.process.wait(timeout=10)

    def remove(self) -> None:
        """Stop it if it runs (idempotent; also run at exit)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
