"""The real agent CLIs through the gateway: Claude Code (Anthropic format), Qwen Code
(OpenAI Chat Completions) and Codex (OpenAI Responses), installed from npm at pinned versions,
against the mock upstream's `agent` behaviour. Each case runs the CLI once, non-interactively,
and waits for it to exit."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.clients.agents import CLAUDE, CODEX, QWEN, AgentCli
from tests.e2e.clients.gateways import ClientGateway
from tests.e2e.clients.session import AgentSession, Outcome

pytestmark = pytest.mark.e2e

CLIENTS = [
    pytest.param(CLAUDE, id="claude-code"),
    pytest.param(QWEN, id="qwen-code"),
    pytest.param(CODEX, id="codex"),
]
RESULT_ITEMS = ("function_call_output", "custom_tool_call_output", "local_shell_call_output")
BLOCK_NOTICE = "Luthien blocked a tool call"


@pytest.fixture(params=CLIENTS)
def agent(
    request: pytest.FixtureRequest, client_binaries: Callable[[str], Path], tmp_path: Path
) -> AgentSession:
    """The client CLI of this case, with a fresh home and work dir."""
    cli: AgentCli = request.param
    return AgentSession(cli, client_binaries(cli.name), tmp_path)


def sent_tool_result(request: dict[str, Any]) -> bool:
    """Whether a captured request carries a tool result (the client ran a tool)."""
    body = json.loads(request["body"] or "{}")
    items = body.get("input")
    if isinstance(items, list) and any(i.get("type") in RESULT_ITEMS for i in items):
        return True
    messages = body.get("messages") or []
    for message in messages:
        content = message.get("content")
        blocks = content if isinstance(content, list) else []
        if message.get("role") == "tool" or any(b.get("type") == "tool_result" for b in blocks):
            return True
    return False


def succeeded(outcome: Outcome) -> None:
    assert outcome.run.returncode == 0, outcome.describe()
    assert outcome.requests, "the client sent nothing through the gateway"


def test_plain_answer(agent: AgentSession, client_gateways: Callable[[str], ClientGateway]) -> None:
    outcome = agent.run(client_gateways("noop"), "Say hello to the gateway", case="plain")
    succeeded(outcome)
    assert "You said: Say hello to the gateway" in outcome.run.stdout, outcome.describe()


def test_tool_call_really_runs(
    agent: AgentSession, client_gateways: Callable[[str], ClientGateway]
) -> None:
    prompt = "Make the marker file.\nRUN: echo agent-ran-tool | tee made-by-agent.txt"
    outcome = agent.run(client_gateways("noop"), prompt, case="tool")
    succeeded(outcome)
    made = agent.workdir / "made-by-agent.txt"
    assert made.exists(), outcome.describe()
    assert made.read_text().strip() == "agent-ran-tool"
    assert any(sent_tool_result(r) for r in outcome.requests), outcome.describe()
    assert "The command finished" in outcome.run.stdout, outcome.describe()
    assert "agent-ran-tool" in outcome.run.stdout, outcome.describe()


def test_all_caps_policy_is_visible(
    agent: AgentSession, client_gateways: Callable[[str], ClientGateway]
) -> None:
    outcome = agent.run(client_gateways("all-caps"), "please shout back", case="all-caps")
    succeeded(outcome)
    assert "YOU SAID: PLEASE SHOUT BACK" in outcome.run.stdout, outcome.describe()
    assert "You said" not in outcome.run.stdout


def test_destructive_command_is_blocked(
    agent: AgentSession, client_gateways: Callable[[str], ClientGateway]
) -> None:
    canary = agent.home / "canary" / "keep-me.txt"
    canary.parent.mkdir(parents=True)
    canary.write_text("still here")
    prompt = "Clean up everything.\nRUN: find ~ -delete"
    outcome = agent.run(client_gateways("block-dangerous-commands"), prompt, case="blocked")
    succeeded(outcome)
    assert canary.read_text() == "still here", outcome.describe()
    assert not any(sent_tool_result(r) for r in outcome.requests), outcome.describe()
    assert BLOCK_NOTICE in outcome.run.stdout, outcome.describe()


def test_benign_command_runs_under_the_preset(
    agent: AgentSession, client_gateways: Callable[[str], ClientGateway]
) -> None:
    prompt = "Touch the file.\nRUN: touch benign.txt"
    outcome = agent.run(client_gateways("block-dangerous-commands"), prompt, case="benign")
    succeeded(outcome)
    assert (agent.workdir / "benign.txt").exists(), outcome.describe()
    assert any(sent_tool_result(r) for r in outcome.requests), outcome.describe()
    assert BLOCK_NOTICE not in outcome.run.stdout
