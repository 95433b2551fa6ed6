"""`python -m bench [--quick] [--json] [--scenario NAME ...] [--api API] [--policy-file PATH]
[--entry lane|django] [--server uvicorn|daphne|both]`."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bench import report
from bench.processes import StartError
from bench.runner import progress, run_bench
from bench.scenarios import APIS, SCENARIOS, Bench, Options, select
from bench.servers import SERVERS

POLICIES = Path(__file__).resolve().parent / "policies"


def build_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    names = ", ".join(s.name + ("" if s.default else " (opt-in)") for s in SCENARIOS)
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure the gateway against the mock upstream, direct vs through.",
        epilog=f"scenarios: {names}. Ready policy files: {POLICIES}/*.yaml "
        "({mock_url} is replaced by the mock upstream's URL).",
    )
    parser.add_argument("--quick", action="store_true", help="fewer requests (under a minute)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="NAME",
        help="a scenario name, a word of one (c1, stream, tool), a glob, or 'all'; repeatable",
    )
    parser.add_argument("--api", choices=APIS, help="only this wire format (default: all three)")
    parser.add_argument(
        "--entry",
        choices=("lane", "django"),
        default="lane",
        help="how the gateway serves /v1/: the ASGI lane (production) or Django without "
        "middleware (bench.django_entry)",
    )
    parser.add_argument(
        "--policy-file", type=Path, metavar="PATH", help="POLICY_CONFIG YAML for the gateway"
    )
    parser.add_argument(
        "--server",
        action="append",
        default=[],
        choices=(*SERVERS, "both"),
        help="the ASGI server the gateway runs under (default uvicorn); repeat it or say "
        "'both' to measure each in turn and print a comparison",
    )
    parser.add_argument(
        "--gateway-env",
        action="append",
        default=[],
        type=_setting,
        metavar="KEY=VALUE",
        help="an extra gateway setting, e.g. LUTHIEN_RECORDING=0 (repeatable)",
    )
    return parser


def _setting(raw: str) -> tuple[str, str]:
    key, sep, value = raw.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {raw!r}")
    return key, value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the bench and print the report; 1 when the mock upstream cannot start."""
    args = build_parser().parse_args(argv)
    if args.policy_file is not None and not args.policy_file.is_file():
        progress(f"--policy-file: no such file: {args.policy_file}")
        return 2
    if not select(tuple(args.scenario)):
        progress(f"--scenario {' '.join(args.scenario)}: no scenario matches")
        return 2
    chosen = server_names(args.server)
    runs = [
        Options(
            quick=args.quick,
            policy_file=args.policy_file.resolve() if args.policy_file else None,
            scenario_filters=tuple(args.scenario),
            apis=(args.api,) if args.api else APIS,
            gateway_env=tuple(args.gateway_env),
            entry=args.entry,
            server=server,
        )
        for server in chosen
    ]
    # SIGTERM unwinds like Ctrl-C, so the servers are stopped by `run_bench`'s `finally`.
    signal.signal(signal.SIGTERM, _interrupt)
    benches: list[Bench] = []
    try:
        for options in runs:
            if len(runs) > 1:
                progress(f"--- gateway under {options.server}")
            benches.append(run_bench(options))
    except StartError as error:
        progress(f"cannot run the bench: {error}")
        return 1
    except KeyboardInterrupt:
        progress("interrupted; servers stopped")
        return 130
    if args.json:
        sys.stdout.buffer.write(report.to_json(*benches) + b"\n")
    else:
        print("\n\n".join(report.render(bench) for bench in benches))
        if len(benches) > 1:
            print("\n" + report.render_servers(benches))
    return 0


def server_names(asked: list[str]) -> list[str]:
    """The servers to measure, in order, each once (`both` is every one; none is uvicorn)."""
    names: list[str] = []
    for name in asked or ["uvicorn"]:
        for server in SERVERS if name == "both" else (name,):
            if server not in names:
                names.append(server)
    return names


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
