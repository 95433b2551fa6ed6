"""`monitor` through the production pipeline on every client format, streamed and not:
deferral replaces the suspicious call with the trusted model's answer, editing rewrites its
arguments, and both are recorded on the transaction."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.transaction_record import TransactionRecord
from policies.active import ActivePolicy
from policies.builtin.monitor import MonitorPolicy
from policies.runtime import policy_runtime
from tests.policies.test_parity_matrix import TRANSLATED, call, captured, routed
from wire.mock.scripts import TEXT_TOOL_SENTENCE
from wire.mock.trusted import DEFERRED_TEXT, SAFE_COMMAND

__all__ = ["captured"]  # the fixture: no database, records captured

BAND = {"scorer": "judge", "judge": {"model": "mock/judge?p=0.5"}, "defer_threshold": 0.3}
PATHS = [
    (fmt, translated, stream)
    for fmt in ("openai", "anthropic", "responses")
    for translated in ((False, True) if fmt in TRANSLATED else (False,))
    for stream in (False, True)
]


def activate(config: dict[str, Any]) -> None:
    policy = MonitorPolicy.from_config(config, label="monitor")
    policy_runtime().set(ActivePolicy(policy=policy, name="monitor", version=1, source="test"))


def actions(record: TransactionRecord) -> list[str]:
    return [d["action"] for d in record.decisions if d["policy"] == "monitor"]


@pytest.mark.parametrize(("fmt", "translated", "stream"), PATHS)
async def test_deferral_answers_with_the_trusted_model(
    fmt: str, translated: bool, stream: bool, captured: list[TransactionRecord]
) -> None:
    activate({**BAND, "trusted_action": "defer"})
    result = await call(fmt, stream, routed(fmt, "mock/text-tool", translated), "rm -rf ~")
    assert result == {"text": TEXT_TOOL_SENTENCE + DEFERRED_TEXT, "tools": [], "stop": "end_turn"}
    (record,) = captured
    assert actions(record) == ["scored", "deferred"]
    deferred = next(d for d in record.decisions if d["action"] == "deferred")["details"]
    assert deferred["untrusted"] == {"tool": "Bash", "arguments": {"command": "rm -rf ~"}}
    assert deferred["trusted"] == [{"text": DEFERRED_TEXT}]


@pytest.mark.parametrize(("fmt", "translated", "stream"), PATHS)
async def test_editing_rewrites_the_arguments(
    fmt: str, translated: bool, stream: bool, captured: list[TransactionRecord]
) -> None:
    activate({**BAND, "trusted_action": "edit"})
    result = await call(fmt, stream, routed(fmt, "mock/text-tool", translated), "rm -rf ~")
    assert result == {
        "text": TEXT_TOOL_SENTENCE,
        "tools": [("Bash", {"command": SAFE_COMMAND})],
        "stop": "tool_use",
    }
    (record,) = captured
    assert actions(record) == ["scored", "edited"]
    edited = next(d for d in record.decisions if d["action"] == "edited")["details"]
    assert (edited["before"], edited["after"]) == (
        {"command": "rm -rf ~"},
        {"command": SAFE_COMMAND},
    )
    assert edited["edited_score"] == 0.5  # the mock judge's fixed p
    assert json.dumps(edited)  # JSON-ready for the event log


@pytest.mark.parametrize(("fmt", "translated", "stream"), PATHS)
async def test_resamples_as_suspicious_as_the_call_send_it_to_a_human(
    fmt: str, translated: bool, stream: bool, captured: list[TransactionRecord]
) -> None:
    """Here the queue is down (no database), so the default (deny) applies at once."""
    activate({**BAND, "resample_k": 2})
    result = await call(fmt, stream, routed(fmt, "mock/text-tool", translated), "rm -rf ~")
    assert result["tools"] == [] and result["stop"] == "end_turn"
    assert "the approval queue is down" in result["text"]
    (record,) = captured
    assert actions(record) == ["scored", "resampled", "error", "timed_out"]
    resampled = next(d for d in record.decisions if d["action"] == "resampled")["details"]
    assert [s["score"] for s in resampled["samples"]] == [0.5, 0.5]
    assert resampled["chosen"] is None


@pytest.mark.parametrize(("fmt", "stream"), [("openai", True), ("anthropic", False)])
async def test_monitor_composes_in_a_chain(
    fmt: str, stream: bool, captured: list[TransactionRecord]
) -> None:
    from policies.builtin.chain import ChainPolicy

    chain = ChainPolicy.from_config(
        {
            "members": [
                {"policy": "block-web-requests"},
                {"policy": "monitor", "config": {**BAND, "trusted_action": "defer"}},
            ]
        },
        label="chain",
    )
    policy_runtime().set(ActivePolicy(policy=chain, name="chain", version=1, source="test"))
    result = await call(fmt, stream, "mock/text-tool", "rm -rf ~")
    assert result == {"text": TEXT_TOOL_SENTENCE + DEFERRED_TEXT, "tools": [], "stop": "end_turn"}
    (record,) = captured
    assert [d["action"] for d in record.decisions] == ["scored", "deferred"]
