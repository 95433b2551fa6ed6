"""Every captured real-client request (`tests/fixtures/clients/`) translates to the other
format: Claude Code's Messages requests for an OpenAI upstream, Qwen Code's Chat Completions
requests for an Anthropic one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.wire.translation.helpers import translate_body

FIXTURES = Path(__file__).parents[2] / "fixtures" / "clients"
CLAUDE_CODE = sorted((FIXTURES / "claude-code").glob("*.json"))
QWEN_CODE = sorted((FIXTURES / "qwen-code").glob("*.json"))


def _body(path: Path) -> dict[str, Any]:
    body = json.loads(path.read_text())["body"]
    assert isinstance(body, dict)
    return body


@pytest.mark.parametrize("path", CLAUDE_CODE, ids=lambda p: p.stem)
def test_claude_code_requests_translate_to_chat_completions(path: Path) -> None:
    body = _body(path)
    sent, notes = translate_body("anthropic", "openai", body)
    assert sent["messages"][0]["role"] == "system"
    assert {m["role"] for m in sent["messages"][1:]} <= {"user", "assistant", "tool"}
    assert all(t["type"] == "function" for t in sent["tools"])
    assert len(sent["tools"]) == len(body["tools"])
    assert sent["max_completion_tokens"] == body["max_tokens"]
    assert sent["reasoning_effort"] == body["output_config"]["effort"]
    assert sent["stream"] is True
    assert "'context_management' was dropped: the upstream's format has no equivalent" in notes


@pytest.mark.parametrize("path", QWEN_CODE, ids=lambda p: p.stem)
def test_qwen_code_requests_translate_to_messages(path: Path) -> None:
    body = _body(path)
    sent, _ = translate_body("openai", "anthropic", body)
    assert isinstance(sent["system"], (str, list)) and sent["system"]
    assert {m["role"] for m in sent["messages"]} <= {"user", "assistant"}
    assert len(sent["tools"]) == len(body["tools"])
    assert all("input_schema" in t for t in sent["tools"])
    assert isinstance(sent["max_tokens"], int)
