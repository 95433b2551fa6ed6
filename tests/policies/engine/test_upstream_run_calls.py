"""Calls the provider runs itself (server and MCP tools) under a policy that removes them."""

from __future__ import annotations

from typing import Any

import pytest

from policies.base import Policy, StreamingMode
from policies.context import PolicyContext
from tests.policies.engine.test_stream_engine import assert_valid, run
from wire.neutral import (
    BlockStart,
    BlockStop,
    Event,
    MessageEnd,
    MessageStart,
    OpaqueBlock,
    TextBlock,
    TextDelta,
    ToolArgsDelta,
    ToolCallBlock,
)


class BashBlocker(Policy):
    """Replaces every call named `bash_code_execution` or `Bash` with a text block."""

    name = "test-bash-blocker"
    description = "blocks bash"
    streaming_mode = StreamingMode.HOLD_TOOL_CALLS

    async def on_tool_call(self, call: ToolCallBlock, c: PolicyContext) -> Any:
        if call.name in ("bash_code_execution", "Bash"):
            return TextBlock(text=f"blocked {call.name}")
        return call


def server_call_then_result(*, client_call: bool) -> list[Event]:
    call = ToolCallBlock("srvtoolu_1", "bash_code_execution", extra={"type": "server_tool_use"})
    result = OpaqueBlock(
        {"type": "bash_code_execution_tool_result", "tool_use_id": "srvtoolu_1", "content": {}}
    )
    events: list[Event] = [
        MessageStart("msg_1", "claude"),
        BlockStart(0, call),
        ToolArgsDelta(0, '{"command": "rm -rf /"}'),
        BlockStop(0),
        BlockStart(1, result),
        BlockStop(1),
        BlockStart(2, TextBlock()),
        TextDelta(2, "Done."),
        BlockStop(2),
    ]
    if client_call:
        events += [
            BlockStart(3, ToolCallBlock("toolu_9", "Read")),
            ToolArgsDelta(3, '{"file_path": "a"}'),
            BlockStop(3),
        ]
    events.append(MessageEnd("tool_use" if client_call else "end_turn"))
    return events


def _blocks(events: list[Event]) -> list[Any]:
    return [e.block for e in events if isinstance(e, BlockStart)]


@pytest.mark.parametrize("batch", [1, 100])
async def test_removed_server_call_takes_its_result_block_with_it(batch: int) -> None:
    out = await run(BashBlocker(), server_call_then_result(client_call=False), batch=batch)
    assert_valid(out)
    blocks = _blocks(out)
    assert not any(isinstance(b, OpaqueBlock) for b in blocks)
    assert [type(b) for b in blocks] == [TextBlock, TextBlock]
    assert isinstance(out[-1], MessageEnd) and out[-1].stop_reason == "end_turn"


async def test_kept_server_call_keeps_its_result() -> None:
    class Allow(BashBlocker):
        async def on_tool_call(self, call: ToolCallBlock, c: PolicyContext) -> Any:
            return call

    events = server_call_then_result(client_call=False)
    assert await run(Allow(), events) == events


async def test_a_server_call_alone_does_not_keep_a_tool_use_stop() -> None:
    class BlockRead(BashBlocker):
        async def on_tool_call(self, call: ToolCallBlock, c: PolicyContext) -> Any:
            return None if call.name == "Read" else call

    out = await run(BlockRead(), server_call_then_result(client_call=True))
    assert_valid(out)
    assert any(isinstance(b, OpaqueBlock) for b in _blocks(out))
    assert isinstance(out[-1], MessageEnd) and out[-1].stop_reason == "end_turn"
