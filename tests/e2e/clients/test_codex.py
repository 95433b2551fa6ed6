"""Codex (npm `@openai/codex`) through the gateway. Codex speaks only the OpenAI Responses API
(`wire_api = "chat"` was removed), which the gateway does not serve yet: the case is a strict
xfail that turns into a failure (to un-mark) once `POST /v1/responses` works end to end."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.clients.agents import CODEX
from tests.e2e.clients.gateways import ClientGateway
from tests.e2e.clients.session import AgentSession

pytestmark = pytest.mark.e2e

RESPONSES_MISSING = (
    "gateway has no POST /v1/responses (OpenAI Responses API; it answers Django's HTML 404), "
    "and the mock upstream serves no Responses format either; codex 0.171.0 sends only that"
)


@pytest.fixture
def codex(client_binaries: Callable[[str], Path], tmp_path: Path) -> AgentSession:
    """Codex, installed in set-up (an install failure is an error, never the expected xfail)."""
    return AgentSession(CODEX, client_binaries("codex"), tmp_path)


@pytest.mark.xfail(strict=True, reason=RESPONSES_MISSING)
def test_codex_plain_answer(
    codex: AgentSession, client_gateways: Callable[[str], ClientGateway]
) -> None:
    outcome = codex.run(client_gateways("noop"), "Say hello to the gateway", case="plain")
    assert [r["path"] for r in outcome.requests][:1] == ["/v1/responses"], outcome.describe()
    assert outcome.run.returncode == 0, outcome.describe()
    assert "You said: Say hello to the gateway" in outcome.run.stdout, outcome.describe()
