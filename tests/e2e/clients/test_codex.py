"""Codex (npm `@openai/codex`) through the gateway speaks only the OpenAI Responses API: its
calls arrive on `POST /v1/responses` (the shared cases in `test_agent_clients.py` run it too:
tool calls it executes, `all-caps`, a destructive command blocked, a benign one run)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.clients.agents import CODEX
from tests.e2e.clients.gateways import ClientGateway
from tests.e2e.clients.session import AgentSession

pytestmark = pytest.mark.e2e


@pytest.fixture
def codex(client_binaries: Callable[[str], Path], tmp_path: Path) -> AgentSession:
    """Codex, installed in set-up (an install failure is an error)."""
    return AgentSession(CODEX, client_binaries("codex"), tmp_path)


def test_codex_plain_answer_goes_through_the_responses_api(
    codex: AgentSession, client_gateways: Callable[[str], ClientGateway]
) -> None:
    outcome = codex.run(client_gateways("noop"), "Say hello to the gateway", case="plain")
    assert outcome.requests, outcome.describe()
    assert {r["path"] for r in outcome.requests} == {"/v1/responses"}, outcome.describe()
    assert outcome.run.returncode == 0, outcome.describe()
    assert "You said: Say hello to the gateway" in outcome.run.stdout, outcome.describe()
