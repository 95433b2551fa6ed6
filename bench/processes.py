"""The server processes of a bench run: start, pin, wait for, measure and stop.

Each server runs in its own session with stdout/stderr going to a log file, so its last lines
can be shown when it fails. `ServerProcess.stop` sends SIGTERM, then SIGKILL after a grace
period; it is safe to call twice. Should the bench itself be killed, the kernel sends the
servers SIGTERM (`PR_SET_PDEATHSIG`). CPU time and peak RSS come from `/proc` and include any child
processes (uvicorn with one worker has none).
"""

from __future__ import annotations

import ctypes
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = (
    REPO_ROOT / ".venv" / "bin"
    if (REPO_ROOT / ".venv" / "bin" / "python").exists()
    else Path(sys.executable).parent
)
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_PR_SET_PDEATHSIG = 1


class StartError(Exception):
    """A server did not become ready; the message ends with its log tail."""


class ServerProcess:
    """A started server: its pid, its base URL and its log file."""

    def __init__(self, name: str, popen: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.name = name
        self.popen = popen
        self.port = port
        self.log = log

    @property
    def pid(self) -> int:
        """The server's process id (`taskset` execs, so it is the server itself)."""
        return self.popen.pid

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process and its live descendants."""
        return sum(_cpu_seconds(pid) for pid in _family(self.pid))

    def peak_rss_mb(self) -> float | None:
        """Peak resident set size (VmHWM), summed over the process and its descendants."""
        peaks = [_status_kb(pid, "VmHWM") for pid in _family(self.pid)]
        known = [kb for kb in peaks if kb is not None]
        return sum(known) / 1024.0 if known else None

    def log_tail(self, lines: int = 25) -> str:
        """The last lines the server wrote to stdout/stderr."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.rstrip().splitlines()[-lines:]) or "(empty log)"

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.popen.poll() is None

    def stop(self, grace_s: float = 5.0) -> None:
        """SIGTERM, wait up to `grace_s`, then SIGKILL; idempotent."""
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(grace_s)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(grace_s)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_STARTING_CPUS = frozenset(os.sched_getaffinity(0))  # before the bench pins itself


def pinning_available() -> bool:
    """Pin only with `taskset` present and at least two CPUs to choose from (those the bench
    started with: after a first run of `--server both` it is pinned to one itself)."""
    return shutil.which("taskset") is not None and len(_STARTING_CPUS) >= 2


def pinned(command: Sequence[str], cpu: int | None) -> list[str]:
    """`command` prefixed with `taskset -c <cpu>` when pinning is possible: when `cpu` is one
    the bench could use when it started (it pins itself later; `--server both` starts a second
    gateway after that)."""
    if cpu is None or not pinning_available() or cpu not in _STARTING_CPUS:
        return list(command)
    return ["taskset", "-c", str(cpu), *command]


def pin_self(cpu: int | None) -> bool:
    """Pin the current process (the load generator) to `cpu`; False when not possible."""
    if cpu is None or not pinning_available() or cpu not in _STARTING_CPUS:
        return False
    os.sched_setaffinity(0, {cpu})
    return True


def start_server(
    name: str,
    command: Sequence[str],
    *,
    port: int,
    log: Path,
    env: dict[str, str] | None = None,
    ready_path: str = "/health",
    ready_timeout_s: float = 60.0,
) -> ServerProcess:
    """Start `command` in the repository root and wait until `ready_path` answers 200."""
    with log.open("wb") as out:
        popen = subprocess.Popen(
            list(command),
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    server = ServerProcess(name, popen, port, log)
    try:
        _wait_ready(server, ready_path, ready_timeout_s)
    except BaseException:
        server.stop()
        raise
    return server


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if the bench itself is killed (Linux only)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def run_once(
    command: Sequence[str], *, env: dict[str, str], timeout_s: float = 180.0
) -> tuple[bool, str]:
    """Run a one-off command (e.g. `migrate`) in the repository root: (succeeded, output tail)."""
    try:
        done = subprocess.run(
            list(command),
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        return False, f"timed out after {timeout_s:.0f} s"
    output = (done.stdout + done.stderr).decode("utf-8", "replace").rstrip()
    return done.returncode == 0, "\n".join(output.splitlines()[-25:])


def _wait_ready(server: ServerProcess, path: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last = "no answer yet"
    while time.monotonic() < deadline:
        if not server.alive():
            raise StartError(
                f"{server.name} exited with {server.popen.returncode}:\n{server.log_tail()}"
            )
        status = _http_status(server.port, path)
        if status == 200:
            return
        last = f"last status {status}" if status else last
        time.sleep(0.2)
    raise StartError(
        f"{server.name} not ready after {timeout_s:.0f} s ({last}):\n{server.log_tail()}"
    )


def _http_status(port: int, path: str) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        connection.close()


def cpu_busy_seconds(cpu: int) -> float | None:
    """Time CPU `cpu` spent running processes since boot, all together, plus hypervisor steal
    (from /proc/stat). Interrupt time is left out: loopback traffic puts some of the bench's own
    network work there, where no process is charged for it."""
    try:
        lines = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if fields[0] == f"cpu{cpu}":
            user, nice, system, _idle, _iowait, _irq, _softirq, steal = map(int, fields[1:9])
            return (user + nice + system + steal) / _CLOCK_TICKS
    return None


def _family(pid: int) -> list[int]:
    """`pid` and its live descendants, from /proc/<pid>/task/<tid>/children."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                pending += [int(child) for child in task.read_text().split()]
            except OSError:
                continue
    return found


def _cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rpartition(")")[2].split()  # the command name may contain spaces
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime


def _status_kb(pid: int, key: str) -> int | None:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    return None
