"""What is measured: the scenarios, their budgets, the requests, and the result records.

Every scenario runs for each wire format (Chat Completions, Messages, Responses), first DIRECT
(client → mock) and then THROUGH the gateway (client → gateway → mock); `bench.runner` does the
running. Concurrency 1 measures latency (a fixed number of requests after a warm-up); higher
concurrency measures throughput (a fixed time after a warm-up).
"""

from __future__ import annotations

import fnmatch
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson

from bench import servers
from bench.loadgen import Endpoint, build_request
from bench.stats import Summary

Api = Literal["openai", "anthropic", "responses"]
APIS: tuple[Api, ...] = ("openai", "anthropic", "responses")
PATHS: dict[Api, str] = {
    "openai": "/v1/chat/completions",
    "anthropic": "/v1/messages",
    "responses": "/v1/responses",
}
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
    translated: bool = False  # THROUGH reaches the mock via the upstream of the other format
    body_kb: int = 0  # > 0: a conversation of about this size precedes the prompt (agent-sized)


def gateway_model(scenario: Scenario, api: Api) -> str:
    """The model the THROUGH leg asks for: `mock/<model>` (the mock answers in the client's
    format), or for a translated scenario the other format's upstream, which the bench gateway
    points at the mock (`anthropic/<model>` for a Chat Completions or Responses client,
    `openai/<model>` for an Anthropic one)."""
    if not scenario.translated:
        return GATEWAY_MODEL_PREFIX + scenario.model
    return ("openai/" if api == "anthropic" else "anthropic/") + scenario.model


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("nonstream-c1", "text?chunks=50", stream=False, concurrency=1),
    Scenario("nonstream-c16", "text?chunks=50", stream=False, concurrency=16),
    Scenario("nonstream-c64", "text?chunks=50", stream=False, concurrency=64),
    Scenario("stream-c1", "text?chunks=50", stream=True, concurrency=1),
    Scenario("stream-c16", "text?chunks=50", stream=True, concurrency=16),
    # The client's format translated to the other one and back (`gateway.translation`).
    Scenario(
        "translated-nonstream-c16", "text?chunks=50", stream=False, concurrency=16, translated=True
    ),
    Scenario("translated-stream-c1", "text?chunks=50", stream=True, concurrency=1, translated=True),
    # Opt-in (`--scenario body`): agent-sized requests, a long conversation before the prompt
    # (a first Claude Code turn is about 70 KB; late in a session 0.3–3 MB, resent each turn).
    *(
        Scenario(f"body-{size}k-c1", "text?chunks=50", False, 1, default=False, body_kb=size)
        for size in (70, 350, 1200, 3400)
    ),
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
    gateway_env: tuple[tuple[str, str], ...] = ()  # extra settings, e.g. LUTHIEN_RECORDING=0
    scenario_filters: tuple[str, ...] = ()
    apis: tuple[Api, ...] = APIS
    entry: str = "lane"  # how the gateway serves /v1/: the ASGI lane, or Django (ninja)
    server: str = "uvicorn"  # the ASGI server the gateway runs under (`bench.servers.SERVERS`)


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
    recorder_stats: dict[str, int] = field(default_factory=dict)
    idle_cpu_ms_per_s: float | None = None
    foreign_cpu_percent: dict[int, float] = field(default_factory=dict)
    machine: str = field(default_factory=describe_machine)
    load_before: tuple[float, float, float] = field(default_factory=os.getloadavg)
    load_after: tuple[float, float, float] | None = None
    elapsed_s: float = 0.0


def select(filters: tuple[str, ...]) -> list[Scenario]:
    """The default scenarios, or those the filters match.

    A filter matches a whole name, one of its dash-separated words (`c1`, `stream`, `tool`) or
    a glob (`*-c16`); `all` matches everything. Opt-in scenarios are chosen only by a filter
    that matches no default scenario (`tool`, not `c1`)."""
    if not filters:
        return [scenario for scenario in SCENARIOS if scenario.default]
    chosen: set[str] = set()
    for wanted in filters:
        hits = [scenario for scenario in SCENARIOS if _matches(wanted, scenario.name)]
        if any(scenario.default for scenario in hits) and wanted != "all":
            hits = [scenario for scenario in hits if scenario.default]
        chosen |= {scenario.name for scenario in hits}
    return [scenario for scenario in SCENARIOS if scenario.name in chosen]


def _matches(wanted: str, name: str) -> bool:
    return wanted in ("all", name) or wanted in name.split("-") or fnmatch.fnmatchcase(name, wanted)


_TURN_TEXT = (
    "Let me look at the failing test first. The assertion compares the parsed config with the "
    "expected defaults, and the loader now reads `timeout_s` as a string. I will change "
    "`load_config` to coerce numeric fields, then run `pytest tests/test_config.py -q` again. "
) * 20  # about 4 KB of plain agent prose per message


def conversation(size_kb: int) -> list[dict[str, Any]]:
    """Alternating user/assistant messages of plain text adding up to about `size_kb` KB
    (plain roles and string content: the same body is valid in all three formats)."""
    count = max(2, size_kb * 1024 // len(_TURN_TEXT))
    count += count % 2  # end on an assistant turn: the prompt follows as the user's
    roles = ("user", "assistant")
    return [{"role": roles[i % 2], "content": f"[{i}] {_TURN_TEXT}"} for i in range(count)]


def request_bytes(endpoint: Endpoint, api: Api, model: str, scenario: Scenario) -> bytes:
    """The prebuilt request for one scenario, wire format and endpoint."""
    messages = [*conversation(scenario.body_kb), {"role": "user", "content": scenario.prompt}]
    if not scenario.body_kb:
        messages = messages[-1:]
    body: dict[str, Any] = {"model": model, "messages": messages, "stream": scenario.stream}
    headers = {"content-type": "application/json"}
    if api == "responses":
        turns: Any = messages if scenario.body_kb else scenario.prompt
        body = {"model": model, "input": turns, "stream": scenario.stream}
        headers["authorization"] = f"Bearer {servers.API_KEY}"
    elif api == "openai":
        headers["authorization"] = f"Bearer {servers.API_KEY}"
    else:
        body["max_tokens"] = 1024
        headers |= {"x-api-key": servers.API_KEY, "anthropic-version": "2023-06-01"}
    return build_request(endpoint, headers, orjson.dumps(body))
