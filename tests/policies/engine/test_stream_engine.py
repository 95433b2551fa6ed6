"""The engine: streaming modes, held blocks in order, protocol repair, failures, chains."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from policies.base import Policy, StreamingMode
from policies.builtin.all_caps import AllCapsPolicy
from policies.builtin.chain import ChainPolicy
from policies.builtin.noop import NoopPolicy
from policies.context import PolicyContext
from policies.engine import apply_policy
from wire.neutral import (
    BlockStart,
    BlockStop,
    Event,
    MessageEnd,
    MessageStart,
    OpaqueBlock,
    OpaqueDelta,
    Request,
    StreamError,
    TextBlock,
    TextDelta,
    ToolArgsDelta,
    ToolCallBlock,
    Usage,
)

pytestmark = pytest.mark.django_db(databases=[])


def ctx() -> PolicyContext:
    return PolicyContext(transaction_id="tx1", request=Request("openai", "m", []))


def text_then_tools(*tools: tuple[str, str], text: str = "Hello world") -> list[Event]:
    events: list[Event] = [MessageStart(id="m1", model="m"), BlockStart(0, TextBlock())]
    events += [TextDelta(0, part) for part in text.split(" ")]
    events.append(BlockStop(0))
    for i, (name, args) in enumerate(tools, start=1):
        events.append(BlockStart(i, ToolCallBlock(id=f"call_{i}", name=name)))
        events += [ToolArgsDelta(i, args[:5]), ToolArgsDelta(i, args[5:])]
        events.append(BlockStop(i))
    stop = "tool_use" if tools else "end_turn"
    events.append(MessageEnd(stop_reason=stop, usage=Usage(10, 20)))
    return events


async def run(
    policy: Policy, events: list[Event], *, batch: int = 1, context: PolicyContext | None = None
) -> list[Event]:
    async def source() -> AsyncIterator[list[Event]]:
        for i in range(0, len(events), batch):
            yield events[i : i + batch]

    out: list[Event] = []
    async for b in apply_policy(policy, context or ctx(), source()):
        out.extend(b)
    return out


def assert_valid(events: list[Event]) -> None:
    """Protocol: start first, end last, indexes 0..n-1 each opened once and closed."""
    assert isinstance(events[0], MessageStart)
    assert isinstance(events[-1], MessageEnd)
    opened: list[int] = []
    open_now: set[int] = set()
    for event in events[1:-1]:
        if isinstance(event, BlockStart):
            assert event.index not in open_now
            opened.append(event.index)
            open_now.add(event.index)
        elif isinstance(event, BlockStop):
            open_now.remove(event.index)
        elif hasattr(event, "index"):
            assert event.index in open_now
    assert open_now == set()
    assert opened == list(range(len(opened)))


def texts(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def tool_names(events: list[Event]) -> list[str]:
    return [
        e.block.name
        for e in events
        if isinstance(e, BlockStart) and isinstance(e.block, ToolCallBlock)
    ]


@pytest.mark.parametrize("batch", [1, 3, 100])
async def test_noop_passes_everything_unchanged(batch: int) -> None:
    events = text_then_tools(("Bash", '{"command": "ls"}'))
    out = await run(NoopPolicy(), events, batch=batch)
    assert out == events
    assert_valid(out)


async def test_all_caps_rewrites_text_only() -> None:
    out = await run(AllCapsPolicy(), text_then_tools(("Bash", '{"command": "ls"}')))
    assert texts(out) == "HELLOWORLD"
    args = "".join(e.partial_json for e in out if isinstance(e, ToolArgsDelta))
    assert args == '{"command": "ls"}'


class Blocker(Policy):
    name = "test-blocker"
    description = "blocks Bash"
    streaming_mode = StreamingMode.HOLD_TOOL_CALLS

    async def on_tool_call(self, call: ToolCallBlock, c: PolicyContext) -> Any:
        if call.name == "Bash":
            c.decide(self, "blocked", "no bash")
            return TextBlock(text=f"blocked {call.arguments}")
        return call


async def test_blocking_every_tool_call_corrects_stop_reason() -> None:
    out = await run(Blocker(), text_then_tools(("Bash", '{"command": "rm"}')))
    assert_valid(out)
    assert tool_names(out) == []
    assert 'blocked {"command": "rm"}' in texts(out)
    assert out[-1].stop_reason == "end_turn"
    assert out[-1].usage == Usage(10, 20)


async def test_partial_block_keeps_tool_use_and_renumbers() -> None:
    out = await run(Blocker(), text_then_tools(("Bash", '{"a": 1}'), ("Read", '{"p": "x"}')))
    assert_valid(out)
    assert tool_names(out) == ["Read"]
    assert out[-1].stop_reason == "tool_use"


class Dropper(Policy):
    name = "test-dropper"
    description = "drops all tool calls"
    streaming_mode = StreamingMode.HOLD_TOOL_CALLS

    async def on_tool_call(self, call: ToolCallBlock, c: PolicyContext) -> None:
        return None


async def test_dropped_blocks_leave_no_index_gaps() -> None:
    events = text_then_tools(("A", "{}"), ("B", "{}"))
    events.insert(-1, BlockStart(3, TextBlock()))
    events.insert(-1, TextDelta(3, "after"))
    events.insert(-1, BlockStop(3))
    out = await run(Dropper(), events)
    assert_valid(out)
    starts = [e.index for e in out if isinstance(e, BlockStart)]
    assert starts == [0, 1]
    assert texts(out) == "Helloworldafter"
    assert out[-1].stop_reason == "end_turn"


class SlowJudge(Policy):
    """Judges take longer for earlier calls: output must still be in order."""

    name = "test-slow"
    description = "slow"
    streaming_mode = StreamingMode.HOLD_TOOL_CALLS

    def __init__(self) -> None:
        super().__init__()
        self.running = 0
        self.max_running = 0

    async def on_tool_call(self, call: ToolCallBlock, c: PolicyContext) -> Any:
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        await asyncio.sleep(0.05 if call.name == "A" else 0.0)
        self.running -= 1
        return call


async def test_tool_calls_judged_concurrently_released_in_order() -> None:
    policy = SlowJudge()
    out = await run(policy, text_then_tools(("A", "{}"), ("B", "{}"), ("C", "{}")), batch=100)
    assert tool_names(out) == ["A", "B", "C"]
    assert policy.max_running == 3
    assert_valid(out)


class HoldText(Policy):
    name = "test-hold-text"
    description = "wraps text blocks"
    streaming_mode = StreamingMode.HOLD_TEXT_BLOCKS

    async def on_text_block(self, block: TextBlock, c: PolicyContext) -> Any:
        return TextBlock(text=f"[{block.text}]")


async def test_hold_text_blocks_sees_whole_blocks() -> None:
    out = await run(HoldText(), text_then_tools())
    assert texts(out) == "[Helloworld]"
    assert [e for e in out if isinstance(e, TextDelta)] == [TextDelta(0, "[Helloworld]")]


class HoldAll(Policy):
    name = "test-hold-all"
    description = "holds everything"
    streaming_mode = StreamingMode.HOLD_RESPONSE


async def test_hold_response_releases_nothing_before_the_end() -> None:
    events = text_then_tools(("Bash", "{}"))
    fed = [0]

    async def source() -> AsyncIterator[list[Event]]:
        for event in events:
            fed[0] += 1
            yield [event]

    released_at: list[int] = []
    out: list[Event] = []
    async for batch in apply_policy(HoldAll(), ctx(), source()):
        released_at.append(fed[0])
        out.extend(batch)
    assert min(released_at) == len(events)
    assert tool_names(out) == ["Bash"]
    assert_valid(out)


class Exploding(Policy):
    name = "test-exploding"
    description = "raises"
    streaming_mode = StreamingMode.HOLD_TOOL_CALLS

    async def on_tool_call(self, call: ToolCallBlock, c: PolicyContext) -> Any:
        raise RuntimeError("judge exploded")


async def test_hook_exception_fails_closed_with_notice() -> None:
    context = ctx()
    out = await run(Exploding(), text_then_tools(("Bash", '{"command": "ls"}')), context=context)
    assert_valid(out)
    assert tool_names(out) == []
    assert "could not check it (RuntimeError)" in texts(out)
    assert [d.action for d in context.decisions] == ["error"]


async def test_hook_exception_fail_open_lets_the_call_through() -> None:
    policy = Exploding(Exploding.Config(fail_open=True))
    out = await run(policy, text_then_tools(("Bash", '{"command": "ls"}')))
    assert tool_names(out) == ["Bash"]


class Sleepy(Policy):
    name = "test-sleepy"
    description = "times out"
    streaming_mode = StreamingMode.HOLD_TOOL_CALLS

    async def on_tool_call(self, call: ToolCallBlock, c: PolicyContext) -> Any:
        await asyncio.sleep(5)
        return call


async def test_hook_timeout_fails_closed(settings: Any) -> None:
    settings.LUTHIEN_POLICY_TIMEOUT_S = 0.05
    out = await run(Sleepy(), text_then_tools(("Bash", "{}")))
    assert tool_names(out) == []
    assert "timed out" in texts(out)


class BadText(Policy):
    name = "test-bad-text"
    description = "fails on text"

    def on_text_delta(self, text: str, c: PolicyContext) -> str:
        if "world" in text:
            raise ValueError("boom")
        return text


async def test_streamed_text_failure_withholds_the_rest() -> None:
    out = await run(BadText(), text_then_tools())
    assert_valid(out)
    assert texts(out).startswith("Hello\n⛔ Luthien withheld the rest of this text")


async def test_empty_upstream_stream_is_repaired() -> None:
    out = await run(NoopPolicy(), [])
    assert_valid(out)
    assert out[-1].stop_reason == "end_turn"


async def test_unclosed_block_is_closed() -> None:
    events = [MessageStart(id="m", model="m"), BlockStart(0, TextBlock()), TextDelta(0, "hi")]
    out = await run(NoopPolicy(), events)
    assert_valid(out)


async def test_stream_error_ends_the_stream_as_the_upstream_did() -> None:
    events = [
        MessageStart(id="m", model="m"),
        BlockStart(0, TextBlock()),
        TextDelta(0, "hi"),
        StreamError(500, "api_error", "boom"),
        TextDelta(0, "ignored"),
    ]
    out = await run(NoopPolicy(), events)
    assert isinstance(out[-1], StreamError)
    assert isinstance(out[-2], TextDelta)  # no synthetic block stop before the error
    assert not any(isinstance(event, BlockStop) for event in out)
    assert texts(out) == "hi"


async def test_opaque_blocks_and_deltas_pass_through_in_held_modes() -> None:
    thinking = OpaqueBlock({"type": "thinking", "thinking": ""})
    events = [
        MessageStart(id="m", model="m"),
        BlockStart(0, thinking),
        OpaqueDelta(0, {"type": "thinking_delta", "thinking": "hmm"}),
        OpaqueDelta(0, {"type": "signature_delta", "signature": "sig"}),
        BlockStop(0),
        BlockStart(1, TextBlock()),
        TextDelta(1, "hi"),
        BlockStop(1),
        MessageEnd(stop_reason="end_turn"),
    ]
    out = await run(HoldText(), events)
    assert_valid(out)
    assert [e.raw["type"] for e in out if isinstance(e, OpaqueDelta)] == [
        "thinking_delta",
        "signature_delta",
    ]
    assert texts(out) == "[hi]"


async def test_input_events_are_never_mutated() -> None:
    events = text_then_tools(("A", "{}"))
    snapshot = [repr(e) for e in events]
    await run(Dropper(), events)
    await run(AllCapsPolicy(), events)
    assert [repr(e) for e in events] == snapshot


def chain(*members: dict[str, Any]) -> ChainPolicy:
    return ChainPolicy.from_config({"members": list(members)})  # type: ignore[return-value]


async def test_chain_of_noops_equals_noop() -> None:
    events = text_then_tools(("Bash", "{}"))
    out = await run(chain({"policy": "noop"}, {"policy": "noop"}, {"policy": "noop"}), events)
    assert out == events


async def test_chain_text_from_blocked_call_is_text_for_next_member() -> None:
    from policies.registry import registry

    registry().add(Blocker)
    policy = chain({"policy": "test-blocker"}, {"policy": "all-caps"})
    out = await run(policy, text_then_tools(("Bash", '{"command": "x"}')))
    assert 'BLOCKED {"COMMAND": "X"}' in texts(out)
    assert texts(out).startswith("HELLOWORLD")
    assert policy.mode == StreamingMode.HOLD_TOOL_CALLS


async def test_streamed_text_failure_fail_open_keeps_the_text() -> None:
    policy = BadText(BadText.Config(fail_open=True))
    out = await run(policy, text_then_tools())
    assert texts(out) == "Helloworld"


async def test_chain_member_failure_never_releases_what_an_earlier_member_blocked() -> None:
    from policies.registry import registry

    registry().add(Blocker)
    registry().add(Exploding)
    policy = chain({"policy": "test-blocker"}, {"policy": "test-exploding"})
    out = await run(policy, text_then_tools(("Bash", '{"command": "rm -rf ~"}')))
    assert tool_names(out) == []
    assert 'blocked {"command": "rm -rf ~"}' in texts(out)
    assert out[-1].stop_reason == "end_turn"


async def test_chain_member_fail_open_applies_to_that_member_only() -> None:
    from policies.registry import registry

    registry().add(Exploding)
    context = ctx()
    policy = chain(
        {"policy": "test-exploding", "config": {"fail_open": True}}, {"policy": "all-caps"}
    )
    out = await run(policy, text_then_tools(("Bash", "{}")), context=context)
    assert tool_names(out) == ["Bash"]  # the exploding member was fail-open
    assert texts(out) == "HELLOWORLD"
    assert [(d.policy, d.action) for d in context.decisions] == [("test-exploding", "error")]
    closed = chain({"policy": "test-exploding"}, {"policy": "all-caps"})
    out = await run(closed, text_then_tools(("Bash", "{}")))
    assert tool_names(out) == []
    assert "COULD NOT CHECK IT" in texts(out)  # the notice is text for the next member
