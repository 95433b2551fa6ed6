"""The broadcast tap: typed events, bounded queue, never blocks, never raises into the proxy."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from channels.layers import get_channel_layer

from activity.audience import audience
from activity.broadcast import Broadcaster, broadcaster
from activity.live_events import (
    GROUP,
    PREVIEW_CHARS,
    PolicyDecision,
    TransactionFinished,
    TransactionStarted,
    answer_preview,
)
from gateway.transaction_record import TransactionRecord
from policies.context import Decision
from tests.activity.live.conftest import add_watcher, layer_settings
from tests.activity.live.layers import HangingLayer, RecordingLayer
from wire.neutral import BlockStart, TextBlock, TextDelta, ToolCallBlock


def _record(**fields: Any) -> TransactionRecord:
    base: dict[str, Any] = {
        "id": "a" * 32,
        "client_format": "openai",
        "model": "mock/echo",
        "api_key_name": "ci",
        "policy_name": "noop",
        "policy_version": 3,
    }
    base.update(fields)
    return TransactionRecord(**base)


def test_started_event_carries_the_summary() -> None:
    event = TransactionStarted.from_record(_record(stream=True)).as_dict()
    assert event == {
        "type": "transaction.started",
        "id": "a" * 32,
        "time": event["time"],
        "client_format": "openai",
        "model": "mock/echo",
        "stream": True,
        "key": "ci",
        "policy": "noop",
        "policy_version": 3,
        "policy_overridden": False,
    }
    assert TransactionStarted.from_record(_record()).as_message()["type"] == "activity.started"


def test_decision_event_makes_details_json_safe() -> None:
    decision = Decision(
        policy="judge",
        action="blocked",
        reason="risky",
        details={"score": 0.97, "tags": {"a"}, "obj": object()},
    )
    event = PolicyDecision.from_decision(_record(), decision).as_message()
    assert event["type"] == "activity.decision"
    data = event["event"]
    assert data["type"] == "transaction.decision"
    assert (data["policy"], data["action"], data["reason"]) == ("judge", "blocked", "risky")
    assert data["details"]["score"] == 0.97
    assert isinstance(data["details"]["obj"], str)


def test_decision_details_are_capped() -> None:
    decision = Decision(policy="p", action="judged", details={"blob": "x" * 100_000})
    data = PolicyDecision.from_decision(_record(), decision).as_dict()
    assert len(data["details"]["truncated"]) <= 4096


def test_finished_event_has_status_timing_tokens_and_preview() -> None:
    record = _record(
        status="completed",
        latency_ms=12.5,
        overhead_ms=0.7,
        input_tokens=5,
        output_tokens=9,
        response_final={"choices": [{"message": {"content": "Hello\n\n  world " * 50}}]},
    )
    record.decisions.append({"action": "rewrote"})
    event = TransactionFinished.from_record(record).as_dict()
    assert event["type"] == "transaction.finished"
    assert (event["status"], event["latency_ms"], event["overhead_ms"]) == ("completed", 12.5, 0.7)
    assert (event["input_tokens"], event["output_tokens"], event["decisions"]) == (5, 9, 1)
    assert event["preview"].startswith("Hello world Hello world")
    assert len(event["preview"]) == PREVIEW_CHARS and event["preview"].endswith("…")


def test_preview_from_stream_events_and_anthropic_bodies() -> None:
    events = [
        BlockStart(0, TextBlock()),
        TextDelta(0, "Hi "),
        TextDelta(0, "there"),
        BlockStart(1, ToolCallBlock(id="t1", name="Bash")),
    ]
    assert answer_preview(_record(response_events_final=events)) == "Hi there [tool call: Bash]"
    many = [TextDelta(0, "word ") for _ in range(10_000)]
    assert len(answer_preview(_record(response_events_final=many))) == PREVIEW_CHARS
    body = {
        "type": "message",
        "content": [
            {"type": "text", "text": "Sure."},
            {"type": "tool_use", "name": "Read", "input": {}},
        ],
    }
    assert answer_preview(_record(response_final=body)) == "Sure. [tool call: Read]"
    assert answer_preview(_record()) == ""


def test_without_a_running_loop_events_are_skipped_and_counted() -> None:
    tap = Broadcaster(queue_size=10)
    tap.started(_record())
    tap.finished(_record())
    assert tap.stats() == {"sent": 0, "dropped": 0, "errors": 0, "skipped": 2, "unwatched": 0}


async def test_disabled_broadcast_does_nothing(settings: Any) -> None:
    settings.LUTHIEN_BROADCAST = False
    tap = Broadcaster(queue_size=10)
    tap.started(_record())
    assert tap.stats() == {"sent": 0, "dropped": 0, "errors": 0, "skipped": 0, "unwatched": 0}
    assert not tap._pumps


async def test_unwatched_events_are_only_counted(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.CHANNEL_LAYERS = layer_settings("tests.activity.live.layers.RecordingLayer")
    RecordingLayer.sent = []
    built: list[str] = []
    monkeypatch.setattr(TransactionFinished, "from_record", lambda record: built.append(record.id))
    tap = Broadcaster(queue_size=10)
    tap.started(_record())
    tap.decision(_record(), Decision(policy="p", action="allowed"))
    tap.finished(_record())
    assert tap.stats() == {"sent": 0, "dropped": 0, "errors": 0, "skipped": 0, "unwatched": 3}
    assert not built  # not even built
    assert not tap._pumps
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "activity-broadcast"]
    assert RecordingLayer.sent == []


async def test_events_are_sent_from_the_moment_someone_watches(settings: Any) -> None:
    settings.CHANNEL_LAYERS = layer_settings("tests.activity.live.layers.RecordingLayer")
    RecordingLayer.sent = []
    tap = Broadcaster(queue_size=10)
    tap.started(_record(id="1" * 32))
    channel = await add_watcher()
    tap.finished(_record(id="1" * 32))
    assert await tap.drain(5)
    await get_channel_layer().group_discard(GROUP, channel)
    audience().left(channel)
    tap.started(_record(id="2" * 32))
    assert await tap.drain(5)
    assert [(m["type"], m["event"]["id"][0]) for _, m in RecordingLayer.sent] == [
        ("activity.finished", "1")
    ]
    assert (tap.stats()["sent"], tap.stats()["unwatched"]) == (1, 2)


async def test_events_reach_the_activity_group() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(GROUP, channel)
    audience().joined(channel)
    tap = broadcaster()
    tap.started(_record())
    tap.decision(_record(), Decision(policy="p", action="allowed", details={"score": 0.1}))
    tap.finished(_record(status="blocked"))
    assert await tap.drain(5)
    async with asyncio.timeout(5):
        messages = [await layer.receive(channel) for _ in range(3)]
    assert [m["type"] for m in messages] == [
        "activity.started",
        "activity.decision",
        "activity.finished",
    ]
    assert messages[1]["event"]["details"] == {"score": 0.1}
    assert messages[2]["event"]["status"] == "blocked"
    assert tap.stats()["sent"] == 3


async def test_one_sender_task_per_loop() -> None:
    await add_watcher()
    tap = Broadcaster(queue_size=10)
    for _ in range(5):
        tap.started(_record())
    tasks = [t for t in asyncio.all_tasks() if t.get_name() == "activity-broadcast"]
    assert len(tasks) == 1
    assert await tap.drain(5)
    await tap.aclose()
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "activity-broadcast"]


async def test_full_queue_drops_and_counts_without_blocking(settings: Any) -> None:
    settings.CHANNEL_LAYERS = layer_settings("tests.activity.live.layers.HangingLayer")
    HangingLayer.sends = 0
    await add_watcher()
    tap = Broadcaster(queue_size=5, send_timeout=30)
    for _ in range(1000):  # a tap that waited for the hanging layer would never return
        tap.started(_record())
    await asyncio.sleep(0.05)  # the sender takes one event and hangs on it
    for _ in range(100):
        tap.finished(_record())
    stats = tap.stats()
    assert stats["dropped"] >= 1000 - 5 + 100 - 1
    assert stats["sent"] == 0
    assert HangingLayer.sends == 1
    await tap.aclose()


async def test_a_hanging_layer_times_out_and_is_counted(settings: Any) -> None:
    settings.CHANNEL_LAYERS = layer_settings("tests.activity.live.layers.HangingLayer")
    await add_watcher()
    tap = Broadcaster(queue_size=5, send_timeout=0.05)
    tap.started(_record())
    assert await tap.drain(5)
    assert tap.stats()["errors"] == 1
    await tap.aclose()


async def test_a_failing_layer_is_counted_and_logged_once(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.CHANNEL_LAYERS = layer_settings("tests.activity.live.layers.FailingLayer")
    await add_watcher()
    tap = Broadcaster(queue_size=50)
    caplog.set_level(logging.WARNING, logger="activity.broadcast")
    for _ in range(4):
        tap.started(_record())
    assert await tap.drain(10)
    assert tap.stats()["errors"] == 4
    reports = [r for r in caplog.records if r.name == "activity.broadcast"]
    assert len(reports) == 1 and "simulated" in reports[0].getMessage()
    await tap.aclose()
