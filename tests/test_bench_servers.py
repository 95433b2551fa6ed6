"""`python -m bench --server`: which servers run, how each is started, the side-by-side table."""

from __future__ import annotations

import orjson
import pytest

from bench import report
from bench.__main__ import build_parser, server_names
from bench.scenarios import SCENARIOS, Bench, Options, Result
from bench.servers import APPS, gateway_command
from bench.stats import Summary


@pytest.mark.parametrize(
    ("asked", "runs"),
    [
        ([], ["uvicorn"]),
        (["daphne"], ["daphne"]),
        (["both"], ["uvicorn", "daphne"]),
        (["daphne", "both", "daphne"], ["daphne", "uvicorn"]),
    ],
)
def test_server_names(asked: list[str], runs: list[str]) -> None:
    assert server_names(asked) == runs


def test_an_unknown_server_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--server", "gunicorn"])
    assert "invalid choice: 'gunicorn'" in capsys.readouterr().err


def test_uvicorn_runs_as_make_serve_does() -> None:
    command = gateway_command("uvicorn", 9000)
    assert command[0].endswith("uvicorn")
    assert command[1] == APPS["lane"]
    assert command[command.index("--lifespan") + 1] == "on"
    assert "--no-access-log" in command


def test_daphne_runs_with_the_lifespan_and_no_access_log() -> None:
    command = gateway_command("daphne", 9000, APPS["django"])
    assert command[1:3] == ["-m", "luthien_site.daphne_server"]
    assert command[-1] == APPS["django"]
    assert command[command.index("-p") + 1] == "9000"
    assert command[command.index("-v") + 1] == "0"  # verbosity 0: no access log


def _summary(p50: float, rps: float) -> Summary:
    return Summary(
        n=100,
        errors=0,
        p50_ms=p50,
        p99_ms=p50 * 2,
        ttft_p50_ms=None,
        ttft_p99_ms=None,
        rps=rps,
        cpu_ms_per_request=0.5,
        overhead_header_ms=0.1,
        client_cpu_percent=5.0,
        first_error=None,
    )


def _bench(server: str, p50: float) -> Bench:
    bench = Bench(Options(server=server))
    result = Result(SCENARIOS[0], "openai", direct=_summary(0.2, 5000), gateway=_summary(p50, 900))
    bench.results.append(result)
    return bench


def test_the_comparison_shows_each_servers_through_leg() -> None:
    table = report.render_servers([_bench("uvicorn", 1.25), _bench("daphne", 2.5)])
    rows = [line.split() for line in table.splitlines()[3:]]
    assert [row[:4] for row in rows] == [
        ["nonstream-c1", "openai", "uvicorn", "1.25"],
        ["nonstream-c1", "openai", "daphne", "2.50"],
    ]
    assert "+1.05" in table.splitlines()[3] and "+2.30" in table.splitlines()[4]


def test_json_of_several_runs_is_a_list_naming_each_server() -> None:
    runs = orjson.loads(report.to_json(_bench("uvicorn", 1.0), _bench("daphne", 2.0)))
    assert [run["options"]["server"] for run in runs] == ["uvicorn", "daphne"]
    single = orjson.loads(report.to_json(_bench("daphne", 2.0)))
    assert single["options"]["server"] == "daphne"


def test_the_report_header_names_the_server() -> None:
    assert "gateway server: daphne" in report.render(_bench("daphne", 2.0))
