"""The run: start the servers, send every scenario DIRECT then THROUGH, always stop the servers.

The two legs of a scenario run back to back so that both see the same background noise. THROUGH
legs also sample the gateway's CPU time around the measured window; its idle CPU is sampled once
before any traffic.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import processes, servers
from bench.loadgen import Endpoint, Probe, run_latency, run_throughput
from bench.scenarios import (
    FULL,
    PATHS,
    QUICK,
    Bench,
    Budget,
    Options,
    Result,
    Scenario,
    gateway_model,
    request_bytes,
    select,
)
from bench.stats import Summary, summarize


def render_policy_file(source: Path, mock_url: str, workdir: Path) -> Path:
    """A copy of `source` with `{mock_url}` replaced by the mock upstream's base URL."""
    target = workdir / f"policy-{source.name}"
    target.write_text(source.read_text().replace("{mock_url}", mock_url))
    return target


def run_bench(options: Options) -> Bench:
    """Start the servers, run the selected scenarios, always stop the servers."""
    bench = Bench(options)
    began = time.monotonic()
    mock = gateway = None
    with tempfile.TemporaryDirectory(prefix="luthien-bench-") as tmp:
        workdir = Path(tmp)
        try:
            mock = servers.start_mock(workdir)
            gateway = _start_gateway(bench, workdir, mock.url)
            # Only now: the servers were started from the bench's full CPU set.
            bench.pinned = processes.pin_self(servers.MOCK_CPU)
            if gateway is not None:
                bench.idle_cpu_ms_per_s = _idle_cpu(gateway)
            meter = _ForeignCpu(
                bench.pinned, {servers.GATEWAY_CPU: gateway, servers.MOCK_CPU: mock}
            )
            with _event_loop_runner() as runner:
                runner.run(_run_all(bench, mock, gateway))
            bench.foreign_cpu_percent = meter.percent()
            if gateway is not None:
                bench.peak_rss_mb = gateway.peak_rss_mb()
                bench.recorder_stats = _recorder_stats(gateway.url)
        finally:
            for server in (gateway, mock):
                if server is not None:
                    server.stop()
    bench.load_after = os.getloadavg()
    bench.elapsed_s = time.monotonic() - began
    return bench


def _recorder_stats(url: str) -> dict[str, int]:
    """The gateway's recorder counters from `/health` (written, spilled, dropped, ...)."""
    try:
        with urllib.request.urlopen(url + "/health", timeout=5) as answer:
            recorder = json.load(answer).get("components", {}).get("recorder", {})
            return {k: v for k, v in recorder.items() if isinstance(v, int)}
    except (OSError, ValueError):
        return {}


def _start_gateway(bench: Bench, workdir: Path, mock_url: str) -> processes.ServerProcess | None:
    policy = bench.options.policy_file
    rendered = render_policy_file(policy, mock_url, workdir) if policy else None
    env = servers.gateway_env(workdir, mock_url, rendered) | dict(bench.options.gateway_env)
    try:
        return servers.start_gateway(
            workdir, env, entry=bench.options.entry, server=bench.options.server
        )
    except processes.StartError as error:
        bench.gateway_error = str(error)
        progress(f"gateway did not start; measuring DIRECT only.\n{error}")
        return None


def _idle_cpu(server: processes.ServerProcess, seconds: float = 2.0) -> float:
    """CPU ms per second the server burns with no traffic (its timers and background tasks)."""
    before = server.cpu_seconds()
    time.sleep(seconds)
    return (server.cpu_seconds() - before) * 1000.0 / seconds


class _ForeignCpu:
    """How much of each pinned CPU other processes (not the bench's) used while measuring.

    Busy time of the CPU from /proc/stat, minus the CPU time of what the bench pinned there:
    the server, and on the mock's CPU the load generator itself."""

    def __init__(self, pinned: bool, by_cpu: dict[int, processes.ServerProcess | None]) -> None:
        self.by_cpu = {cpu: server for cpu, server in by_cpu.items() if pinned and server}
        self.started = time.monotonic()
        self.before = {cpu: self._busy(cpu) - self._ours(cpu) for cpu in self.by_cpu}

    def percent(self) -> dict[int, float]:
        """Per CPU, the percentage of the elapsed time other processes kept it busy."""
        elapsed = time.monotonic() - self.started
        return {
            cpu: max(0.0, 100.0 * (self._busy(cpu) - self._ours(cpu) - before) / elapsed)
            for cpu, before in self.before.items()
        }

    def _busy(self, cpu: int) -> float:
        return processes.cpu_busy_seconds(cpu) or 0.0

    def _ours(self, cpu: int) -> float:
        server = self.by_cpu[cpu]
        own = server.cpu_seconds() if server else 0.0
        return own + (time.process_time() if cpu == servers.MOCK_CPU else 0.0)


def _event_loop_runner() -> asyncio.Runner:
    try:
        import uvloop
    except ImportError:
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


async def _run_all(
    bench: Bench, mock: processes.ServerProcess, gateway: processes.ServerProcess | None
) -> None:
    budget = QUICK if bench.options.quick else FULL
    shown_log = False
    for scenario in select(bench.options.scenario_filters):
        for api in bench.options.apis:
            result = Result(scenario, api)
            bench.results.append(result)
            direct = Endpoint("127.0.0.1", mock.port, PATHS[api])
            raw = request_bytes(direct, api, scenario.model, scenario)
            result.direct = await _measure(scenario, direct, raw, budget, None)
            _show(result, "direct", result.direct)
            if gateway is None:
                continue
            if not gateway.alive():
                bench.gateway_error = f"gateway exited:\n{gateway.log_tail()}"
                progress(bench.gateway_error)
                gateway = None
                continue
            through = Endpoint("127.0.0.1", gateway.port, PATHS[api])
            model = gateway_model(scenario, api)
            raw = request_bytes(through, api, model, scenario)
            result.gateway = await _measure(scenario, through, raw, budget, gateway.cpu_seconds)
            _show(result, "gateway", result.gateway)
            if result.gateway.errors and not shown_log:
                shown_log = True
                progress(f"gateway log tail:\n{gateway.log_tail()}")


async def _measure(
    scenario: Scenario, endpoint: Endpoint, raw: bytes, budget: Budget, probe: Probe | None
) -> Summary:
    if scenario.concurrency == 1:
        run = await run_latency(
            endpoint,
            raw,
            warmup=budget.warmup,
            count=budget.count,
            max_seconds=budget.max_seconds,
            timeout_s=budget.timeout_s,
            probe=probe,
        )
    else:
        run = await run_throughput(
            endpoint,
            raw,
            concurrency=scenario.concurrency,
            warmup_s=budget.warmup_s,
            duration_s=budget.duration_s,
            timeout_s=budget.timeout_s,
            probe=probe,
        )
    return summarize(run)


def _show(result: Result, leg: str, summary: Summary) -> None:
    parts = [f"{result.scenario.name:<26} {result.api:<9} {leg:<7}", f"n={summary.n}"]
    if summary.p50_ms is not None:
        parts.append(f"p50={summary.p50_ms:.2f}ms")
    if summary.ttft_p50_ms is not None:
        parts.append(f"ttft={summary.ttft_p50_ms:.2f}ms")
    if summary.rps is not None and result.scenario.concurrency > 1:
        parts.append(f"{summary.rps:.0f} req/s")
    if summary.errors:
        parts.append(f"errors={summary.errors} first: {summary.first_error}")
    progress("  ".join(parts))


def progress(message: str) -> None:
    """A progress line on stderr (stdout stays clean for `--json`)."""
    print(message, file=sys.stderr, flush=True)
