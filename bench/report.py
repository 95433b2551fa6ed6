"""The printed table, the targets and the JSON of a bench run.

Times are milliseconds, throughput requests per second. "overhead" is THROUGH minus DIRECT for
the same scenario and wire format; "CPU/req" is the gateway process's CPU time over the
measured window divided by the requests completed in it; "hdr" is the median of the gateway's
own `x-luthien-overhead-ms` header (non-streaming responses only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import orjson

from bench.scenarios import Bench, Result
from bench.stats import Summary

_NONSTREAM_C1 = "nonstream-c1"
_NONSTREAM_LOADED = ("nonstream-c16", "nonstream-c64")
_STREAM_CPU = ("stream-c1", "stream-c16")  # the first one measured is used
_BUSY_PERCENT = 10.0


@dataclass(frozen=True, slots=True)
class Target:
    """One line of the targets section: PASS, MISS or n/a, and the values behind it."""

    status: str
    goal: str
    detail: str


def render(bench: Bench) -> str:
    """The human-readable report."""
    lines = [*_header(bench), "", *_table(bench.results), ""]
    rss = bench.peak_rss_mb
    lines.append(f"gateway peak RSS (VmHWM): {_num(rss, 1)} MB" if rss else "gateway peak RSS: n/a")
    if bench.recorder_stats:
        shown = ("written", "spilled", "overflow", "dropped", "queued")
        counts = ", ".join(f"{k} {bench.recorder_stats.get(k, 0)}" for k in shown)
        lines.append(f"gateway recorder at the end: {counts}")
    idle = _num(bench.idle_cpu_ms_per_s, 1)
    lines.append(f"gateway CPU while idle: {idle} ms per second (its timers and background tasks)")
    lines.append(
        f"x-luthien-overhead-ms median @c1 (non-streaming): {_overhead_header_medians(bench)}"
    )
    lines.append(f"load generator CPU, busiest THROUGH leg: {_client_cpu(bench)}")
    lines += _noise(bench)
    lines += ["", "targets"]
    lines += [f"  {t.status:<4}  {t.goal:<44} {t.detail}" for t in targets(bench)]
    if bench.gateway_error:
        lines += [
            "",
            "gateway problem:",
            *("  " + line for line in bench.gateway_error.splitlines()),
        ]
    return "\n".join(lines)


def to_json(*benches: Bench) -> bytes:
    """The whole run, machine-readable (a list of runs when several servers were measured)."""
    runs = [_json_data(bench) for bench in benches]
    data: object = runs[0] if len(runs) == 1 else runs
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)


def _json_data(bench: Bench) -> dict[str, object]:
    data = asdict(bench)
    data["options"]["policy_file"] = str(bench.options.policy_file or "") or None
    data["targets"] = [asdict(target) for target in targets(bench)]
    return data


def render_servers(benches: list[Bench]) -> str:
    """The THROUGH legs of each server side by side, per scenario and wire format."""
    head = (
        f"{'scenario':<26}{'api':<10}{'server':<9}"
        f"{'p50':>8}{'p99':>8}{'TTFT':>8}{'req/s':>8}{'+p50':>8}{'CPU/req':>9}{'errors':>8}"
    )
    lines = ["servers compared (THROUGH the gateway)", head, "-" * len(head)]
    keys = [(r.scenario.name, r.api) for r in benches[0].results]
    for name, api in keys:
        for bench in benches:
            result = next(
                (r for r in bench.results if (r.scenario.name, r.api) == (name, api)), None
            )
            gateway = result.gateway if result else None
            cells = _legs(gateway)
            lines.append(
                f"{name:<26}{api:<10}{bench.options.server:<9}"
                + "".join(f"{cell:>8}" for cell in cells)
                + f"{_diff(result, 'p50_ms') if result else '-':>8}"
                + f"{_ms(gateway.cpu_ms_per_request if gateway else None):>9}"
                + f"{_errors(result) if result else '-':>8}"
            )
    return "\n".join(lines)


def _header(bench: Bench) -> list[str]:
    options = bench.options
    pinning = (
        "gateway on CPU 0; mock + load generator on CPU 1"
        if bench.pinned
        else "not pinned (no taskset or one CPU)"
    )
    after = bench.load_after or bench.load_before
    lines = [
        f"Luthien bench  {bench.started}  ({'quick' if options.quick else 'full'} run, "
        f"{bench.elapsed_s:.0f} s)",
        f"machine: {bench.machine}; load average {bench.load_before[0]:.2f} -> {after[0]:.2f}",
        f"pinning: {pinning}",
        f"gateway server: {options.server}",
        f"policy: {options.policy_file or 'default (none configured: pass-through)'}",
    ]
    if options.gateway_env:
        lines.append("gateway env: " + " ".join(f"{k}={v}" for k, v in options.gateway_env))
    return lines


_GROUPS: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = (
    ("", (("scenario", 26), ("api", 10))),
    ("DIRECT: client -> mock", (("p50", 7), ("p99", 7), ("TTFT", 7), ("req/s", 7))),
    ("THROUGH the gateway", (("p50", 7), ("p99", 7), ("TTFT", 7), ("req/s", 7))),
    ("overhead", (("+p50", 8), ("+TTFT", 8))),
    ("gateway", (("CPU/req", 8), ("hdr", 6), ("errors", 7))),
)
_SEPARATOR = "  |"


def _table(results: list[Result]) -> list[str]:
    titles = [f"{label:^{sum(width for _, width in columns)}}" for label, columns in _GROUPS[1:]]
    lead = sum(width for _, width in _GROUPS[0][1])
    group_line = " " * lead + "".join(_SEPARATOR + title for title in titles)
    head = _row([title for _, columns in _GROUPS for title, _ in columns])
    rows = [group_line, head, "-" * len(head)]
    for result in results:
        cells = [result.scenario.name, result.api]
        cells += _legs(result.direct) + _legs(result.gateway)
        cells += [_diff(result, "p50_ms"), _diff(result, "ttft_p50_ms")]
        gateway = result.gateway
        cells += [
            _ms(gateway.cpu_ms_per_request if gateway else None),
            _ms(gateway.overhead_header_ms if gateway else None),
            _errors(result),
        ]
        rows.append(_row(cells))
    return rows


def _row(cells: list[str]) -> str:
    """Names left-aligned, numbers right-aligned, a bar between the column groups."""
    out, remaining = [], iter(cells)
    for index, (_, columns) in enumerate(_GROUPS):
        if index:
            out.append(_SEPARATOR)
        for _, width in columns:
            cell = next(remaining)
            out.append(f"{cell:<{width}}" if index == 0 else f"{cell:>{width}}")
    return "".join(out)


def _legs(summary: Summary | None) -> list[str]:
    if summary is None:
        return ["-"] * 4
    return [
        _ms(summary.p50_ms),
        _ms(summary.p99_ms),
        _ms(summary.ttft_p50_ms),
        _num(summary.rps, 0),
    ]


def _diff(result: Result, name: str) -> str:
    value = _overhead(result, name)
    return _ms(value, sign="+")


def _overhead(result: Result, name: str) -> float | None:
    direct = getattr(result.direct, name, None) if result.direct else None
    gateway = getattr(result.gateway, name, None) if result.gateway else None
    return None if direct is None or gateway is None else gateway - direct


def _errors(result: Result) -> str:
    legs = [summary for summary in (result.direct, result.gateway) if summary is not None]
    return str(sum(summary.errors for summary in legs))


def _ms(value: float | None, sign: str = "") -> str:
    """Milliseconds with fewer decimals as they grow, so a column keeps its width."""
    if value is None:
        return "-"
    digits = 2 if abs(value) < 100 else 1 if abs(value) < 1000 else 0
    return f"{value:{sign}.{digits}f}"


def _num(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _overhead_header_medians(bench: Bench) -> str:
    found = [
        f"{r.api} {r.gateway.overhead_header_ms:.3f} ms"
        for r in _named(bench, _NONSTREAM_C1)
        if r.gateway and r.gateway.overhead_header_ms is not None
    ]
    return ", ".join(found) or "n/a"


def _client_cpu(bench: Bench) -> str:
    """How busy the load generator's own core was (near 100 % means it was the bottleneck)."""
    busy = [
        (r.gateway.client_cpu_percent, f"{r.scenario.name} {r.api}")
        for r in bench.results
        if r.gateway and r.gateway.client_cpu_percent is not None
    ]
    if not busy:
        return "n/a"
    percent, where = max(busy)
    return f"{percent:.0f}% of one core ({where})"


def _noise(bench: Bench) -> list[str]:
    """Other processes' share of the pinned CPUs, and a warning when it is high."""
    if not bench.foreign_cpu_percent:
        return []
    roles = {0: "gateway", 1: "mock + load generator"}
    shares = ", ".join(
        f"CPU {cpu} ({roles.get(cpu, '?')}) {percent:.0f}%"
        for cpu, percent in sorted(bench.foreign_cpu_percent.items())
    )
    lines = [f"other processes' use of the pinned CPUs during the run: {shares}"]
    if max(bench.foreign_cpu_percent.values()) > _BUSY_PERCENT:
        lines.append(
            "  the machine was busy: latency and req/s are pessimistic; CPU/req and RSS suffer less"
        )
    return lines


def targets(bench: Bench) -> list[Target]:
    """The targets section: each goal checked for every wire format measured."""
    return [
        _check(
            "non-streaming overhead p50 @c1 <= 1.5 ms",
            {r.api: _overhead(r, "p50_ms") for r in _named(bench, _NONSTREAM_C1)},
            lambda v: v <= 1.5,
            "{:+.2f} ms",
        ),
        _check(
            "non-streaming throughput >= 600 req/s",
            _best_rps(bench),
            lambda v: v >= 600,
            "{:.0f} req/s",
        ),
        _check(
            "gateway CPU per 50-chunk stream <= 8 ms",
            _stream_cpu(bench),
            lambda v: v <= 8,
            "{:.2f} ms",
        ),
        _check(
            "TTFT overhead p50 @c1 <= 1.5 ms",
            {r.api: _overhead(r, "ttft_p50_ms") for r in _named(bench, "stream-c1")},
            lambda v: v <= 1.5,
            "{:+.2f} ms",
        ),
        _check(
            "gateway peak RSS <= 150 MB",
            {"VmHWM": bench.peak_rss_mb},
            lambda v: v <= 150,
            "{:.1f} MB",
        ),
    ]


def _best_rps(bench: Bench) -> dict[str, float | None]:
    """Per wire format, the better THROUGH throughput of the loaded non-streaming scenarios."""
    best: dict[str, tuple[float, str]] = {}
    for result in _named(bench, *_NONSTREAM_LOADED):
        rps = result.gateway.rps if result.gateway else None
        if rps is not None and (result.api not in best or rps > best[result.api][0]):
            best[result.api] = (rps, result.scenario.name)
    return {f"{api} {name}": rps for api, (rps, name) in best.items()}


def _stream_cpu(bench: Bench) -> dict[str, float | None]:
    """Gateway CPU per stream from the first of `_STREAM_CPU` that was measured."""
    for name in _STREAM_CPU:
        found = {
            f"{r.api} {name}": r.gateway.cpu_ms_per_request
            for r in _named(bench, name)
            if r.gateway is not None
        }
        if found:
            return found
    return {}


def _check(
    goal: str, values: dict[str, float | None], ok: Callable[[float], bool], shape: str
) -> Target:
    measured = {label: value for label, value in values.items() if value is not None}
    if not measured:
        return Target("n/a", goal, "not measured")
    status = "PASS" if all(ok(value) for value in measured.values()) else "MISS"
    detail = ", ".join(f"{label} {shape.format(value)}" for label, value in measured.items())
    return Target(status, goal, detail)


def _named(bench: Bench, *names: str) -> list[Result]:
    return [result for result in bench.results if result.scenario.name in names]
