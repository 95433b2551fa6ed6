"""One agent run through a policy's gateway: temp dirs, the run, what it sent, fixtures.

`AgentSession.run` runs a CLI once in a fresh home and work dir under `root`, returns the
finished `AgentRun` together with the requests the client sent (from the capture proxy), and
with `LUTHIEN_CAPTURE_CLIENTS=1` writes them as fixtures under `tests/fixtures/clients/`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e.clients.agents import AgentCli, AgentRun, run_agent
from tests.e2e.clients.gateways import CLIENT_KEY, ClientGateway
from tests.e2e.clients.scrub import FIXTURE_ROOT, Scrubber, fixture_from_capture, write_fixtures
from tests.e2e.clients.versions import PINNED
from tests.e2e.servers import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "clients"
MODEL = "mock/agent"


def capturing() -> bool:
    """Whether this run re-captures the fixture corpus (`LUTHIEN_CAPTURE_CLIENTS=1`)."""
    return os.environ.get("LUTHIEN_CAPTURE_CLIENTS") == "1"


def distinct(requests: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The requests without repeats of the one before (a client's retries)."""
    kept: list[dict[str, Any]] = []
    for request in requests:
        if not kept or (kept[-1]["path"], kept[-1]["body"]) != (request["path"], request["body"]):
            kept.append(request)
    return kept


@dataclass(frozen=True, slots=True)
class Outcome:
    """A finished run and the requests its client sent."""

    run: AgentRun
    requests: list[dict[str, Any]]

    def describe(self) -> str:
        """For assertion messages."""
        sent = ", ".join(f"{r['method']} {r['path']}" for r in self.requests) or "nothing"
        return f"{self.run.describe()}\n--- sent ---\n{sent}"


@dataclass(frozen=True, slots=True)
class AgentSession:
    """A client CLI, its program, and the temp folder of one test."""

    cli: AgentCli
    binary: Path
    root: Path

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def workdir(self) -> Path:
        return self.root / "work"

    def run(self, gateway: ClientGateway, prompt: str, *, case: str) -> Outcome:
        """Run `prompt` through `gateway`; save fixtures of `case` when capturing."""
        mark = gateway.mark()
        run = run_agent(
            self.cli,
            self.binary,
            base_url=gateway.url,
            key=CLIENT_KEY,
            model=MODEL,
            prompt=prompt,
            home=self.home,
            workdir=self.workdir,
        )
        outcome = Outcome(run, gateway.since(mark))
        if capturing() and outcome.requests:
            self.save(case, outcome.requests)
        return outcome

    def save(self, case: str, requests: list[dict[str, Any]]) -> list[Path]:
        """Write the scrubbed requests as `tests/fixtures/clients/<client>/<case>-<n>.json`."""
        scrubber = Scrubber.for_run(
            key=CLIENT_KEY,
            paths={
                self.workdir: f"{FIXTURE_ROOT}/work",
                self.home: f"{FIXTURE_ROOT}/home",
                self.root: FIXTURE_ROOT,
            },
        )
        version = PINNED[self.cli.name].version
        documents = [
            fixture_from_capture(r, scrubber, client=self.cli.name, version=version, case=case)
            for r in distinct(r for r in requests if r["method"] == "POST")
        ]
        return write_fixtures(FIXTURES / self.cli.name, case, documents)
