"""Hostile input: schemathesis against the OpenAPI documents of the proxy API
(`/v1/openapi.json`) and the admin API (`/api/admin/openapi.json`) of a real gateway process.

Whatever schemathesis sends (valid and invalid bodies, parameters, headers), the gateway must
answer it without a server error: no 5xx. The gateway has a database of its own (a copy of the
throwaway cluster's, so the admin calls cannot change what other tests see), no Redis, and
every upstream (`openai`, `anthropic`, `mock`) pointed at the mock process, so nothing leaves the
machine. `EXAMPLES` keeps the module within the fault suite's time budget.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.e2e.faults.services import ThrowawayPostgres
from tests.e2e.servers import E2E_ADMIN_KEY, Server, gateway_env, start_gateway

pytestmark = [pytest.mark.e2e, pytest.mark.faults]
KEY = "faults-bootstrap-key"
EXAMPLES = 10


@pytest.fixture(scope="module")
def fuzz_gateway(
    throwaway_postgres: ThrowawayPostgres, mock_server: Server, tmp_path_factory: Any
) -> Iterator[Server]:
    """A gateway on a database of its own; every upstream is the mock process."""
    database = throwaway_postgres.clone().url
    env = gateway_env(
        database,
        mock_server.url,
        PROXY_API_KEY=KEY,
        REDIS_URL="",
        OPENAI_BASE_URL=mock_server.url + "/v1",
        ANTHROPIC_BASE_URL=mock_server.url,
        LUTHIEN_SPILL_DIR=str(Path(tmp_path_factory.mktemp("fuzz-spill"))),
    )
    server = start_gateway(env)
    try:
        yield server
    finally:
        server.stop()


def _no_server_error(case: Any, gateway: Server, key: str, statuses: set[int]) -> None:
    response = case.call(
        base_url=gateway.url + _prefix(case), headers={"authorization": f"Bearer {key}"}, timeout=15
    )
    statuses.add(response.status_code)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} answered {response.status_code}: "
        f"{response.text[:500]}"
    )


def _prefix(case: Any) -> str:
    """The mount point of the operation's API (its document's `servers`, if any)."""
    servers = case.operation.schema.raw_schema.get("servers") or [{"url": ""}]
    url = str(servers[0]["url"])
    return url.rstrip("/") if url.startswith("/") else ""


def _fuzz(gateway: Server, document: str, key: str) -> list[str]:
    """Every operation of `document` with valid and invalid cases; the server errors. Some
    answers must be successes: calls that all miss their route or their key test nothing."""
    schema = schemathesis.openapi.from_url(gateway.url + document)
    failures: list[str] = []
    statuses: set[int] = set()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        cases = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        @FUZZ
        @given(case=cases)
        def run(case: Any) -> None:
            _no_server_error(case, gateway, key, statuses)

        try:
            run()
        except Exception as error:  # a 5xx, or no answer at all
            failures.append(str(error).splitlines()[0][:600])
    assert operations > 0, f"{document} lists no operation"
    assert any(200 <= status < 300 for status in statuses), sorted(statuses)
    return failures


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the failing case is reported as is
)


def test_proxy_api_never_answers_a_server_error(fuzz_gateway: Server) -> None:
    assert _fuzz(fuzz_gateway, "/v1/openapi.json", KEY) == []


def test_admin_api_never_answers_a_server_error(fuzz_gateway: Server) -> None:
    assert _fuzz(fuzz_gateway, "/api/admin/openapi.json", E2E_ADMIN_KEY) == []
