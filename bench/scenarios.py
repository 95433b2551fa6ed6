"""What is measured, and the run that ties the servers and the load together.

Every scenario runs for both wire formats, first DIRECT (client → mock) and then THROUGH the
gateway (client → gateway → mock), back to back so that both legs see the same background noise.
Concurrency 1 measures latency (a fixed number of requests after a warm-up); higher concurrency
measures throughput (a fixed time after a warm-up). THROUGH legs also sample the gateway's CPU
time around the measured window.
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson

from bench import processes
from bench.loadgen import Endpoint, Probe, build_request, run_latency, run_throughput
from bench.stats import Summary, summarize

Api = Literal["openai", "anthropic"]
APIS: tuple[Api, ...] = ("openai", "anthropic")
_PATHS: dict[Api, str] = {"openai": "/v1/chat/completions", "anthropic": "/v1/messages"}
GATEWAY_MODEL_PREFIX = "mock/"


@dataclass(frozen=True, slots=True)
class Scenario:
    """One load: a mock model, streaming or not, and how many concurrent connections."""

    name: str
    model: str
    stream: bool
    concurrency: int
    default: bool = True
    prompt: str = "Say something."


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("nonstream-c1", "text?chunks=50", stream=False, concurrency=1),
    Scenario("nonstream-c16", "text?chunks=50", stream=False, concurrency=16),
    Scenario("nonstream-c64", "text?chunks=50", stream=False, concurrency=64),
    Scenario("stream-c1", "text?chunks=50", stream=True, concurrency=1),
    Scenario("stream-c16", "text?chunks=50", stream=True, concurrency=16),
    # Opt-in (`--scenario tool`): a tool call per response, for a `tool-judge` policy file.
    Scenario("tool-nonstream-c1", "tool", stream=False, concurrency=1, default=False, prompt="ls"),
    Scenario("tool-stream-c1", "tool", stream=True, concurrency=1, default=False, prompt="ls"),
)


@dataclass(frozen=True, slots=True)
class Budget:
    """How long each load shape runs."""

    warmup: int  # latency: unmeasured requests first
    count: int  # latency: measured requests
    max_seconds: float  # latency: stop early after this long
    warmup_s: float  # throughput: unmeasured seconds first
    duration_s: float  # throughput: measured seconds
    timeout_s: float  # any single request


FULL = Budget(warmup=50, count=400, max_seconds=15.0, warmup_s=0.5, duration_s=5.0, timeout_s=30)
QUICK = Budget(warmup=20, count=100, max_seconds=5.0, warmup_s=0.3, duration_s=1.5, timeout_s=15)


@dataclass(frozen=True, slots=True)
class Options:
    """What the command line asked for."""

    quick: bool = False
    policy_file: Path | None = None
    scenario_filters: tuple[str, ...] = ()
    apis: tuple[Api, ...] = APIS


@dataclass(slots=True)
class Result:
    """One scenario for one wire format: the DIRECT and THROUGH summaries."""

    scenario: Scenario
    api: Api
    direct: Summary | None = None
    gateway: Summary | None = None


def describe_machine() -> str:
    """`2 CPUs (AMD EPYC), 23.5 GiB RAM`, from /proc when available."""
    model = memory = ""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.splitlines()
                if "model name" in line
            ),
            "",
        )
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.1f} GiB RAM"
    except (OSError, ValueError):
        pass
    return f"{os.cpu_count()} CPUs" + (f" ({model})" if model else "") + memory


@dataclass(slots=True)
class Bench:
    """Everything a run produced, for `bench.report`."""

    options: Options
    started: str = field(default_factory=lambda: time.strftime("%Y-%m-%d %H:%M:%S %z"))
    results: list[Result] = field(default_factory=list)
    pinned: bool = False
    gateway_error: str | None = None
    peak_rss_mb: float | None = None
    machine: str = field(default_factory=describe_machine)
    load_before: tuple[float, float, float] = field(default_factory=os.getloadavg)
    load_after: tuple[float, float, float] | None = None
    elapsed_s: float = 0.0


def select(filters: tuple[str, ...]) -> list[Scenario]:
    """The default scenarios, or those a filter matches: the whole name, one of its dash-separated
    words (`c1`, `stream`, `tool`), a glob (`*-c16`), or `all`."""
    if not filters:
        return [scenario for scenario in SCENARIOS if scenario.default]
    return [
        scenario
        for scenario in SCENARIOS
        if any(
            wanted in ("all", scenario.name)
            or wanted in scenario.name.split("-")
            or fnmatch.fnmatchcase(scenario.name, wanted)
            for wanted in filters
        )
    ]


def request_bytes(endpoint: Endpoint, api: Api, model: str, scenario: Scenario) -> bytes:
    """The prebuilt request for one scenario, wire format and endpoint."""
    messages = [{"role": "user", "content": scenario.prompt}]
    body: dict[str, Any] = {"model": model, "messages": messages, "stream": scenario.stream}
    headers = {"content-type": "application/json"}
    if api == "openai":
        headers["authorization"] = f"Bearer {processes.API_KEY}"
    else:
        body["max_tokens"] = 1024
        headers |= {"x-api-key": processes.API_KEY, "anthropic-version": "2023-06-01"}
    return build_request(endpoint, headers, orjson.dumps(body))


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
            mock = processes.start_mock(workdir)
            bench.pinned = processes.pin_self(processes.MOCK_CPU)
            gateway = _start_gateway(bench, workdir, mock.url)
            with _event_loop_runner() as runner:
                runner.run(_run_all(bench, mock, gateway))
            if gateway is not None:
                bench.peak_rss_mb = gateway.peak_rss_mb()
        finally:
            for server in (gateway, mock):
                if server is not None:
                    server.stop()
    bench.load_after = os.getloadavg()
    bench.elapsed_s = time.monotonic() - began
    return bench


def _start_gateway(bench: Bench, workdir: Path, mock_url: str) -> processes.ServerProcess | None:
    policy = bench.options.policy_file
    rendered = render_policy_file(policy, mock_url, workdir) if policy else None
    env = processes.gateway_env(workdir, mock_url, rendered)
    try:
        return processes.start_gateway(workdir, env)
    except processes.StartError as error:
        bench.gateway_error = str(error)
        progress(f"gateway did not start; measuring DIRECT only.\n{error}")
        return None


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
            direct = Endpoint("127.0.0.1", mock.port, _PATHS[api])
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
            through = Endpoint("127.0.0.1", gateway.port, _PATHS[api])
            model = GATEWAY_MODEL_PREFIX + scenario.model
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
    parts = [f"{result.scenario.name:<18} {result.api:<9} {leg:<7}", f"n={summary.n}"]
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
