"""The streaming stage: neutral event batches in, policy-applied and protocol-valid batches out.

Input events are never mutated (taps keep references to them); changed events are new objects.
Blocks are assembled from deltas. What the policy's mode holds (tool calls, text blocks, the
whole response) is kept until complete, then handed to the hooks as a task, so several held
blocks are checked concurrently; output is always released in the original order. Output block
indexes are assigned at release, so dropped blocks leave no gaps. The stream always starts with
`MessageStart`, closes every block, and ends with one `MessageEnd` whose stop reason says
`end_turn` when every client tool call was removed. When the policy removes a call the provider
runs itself (a server or MCP tool), the result block the provider sent for it is dropped too, so
the client never holds a result without its call.

While a held block is still being decided at the end of a stream (a tool call waiting for a
human), the stage yields a `KeepAlive` every `LUTHIEN_STREAM_KEEPALIVE_S` so the client's stream
stays open. When the stage is closed early (the client left), pending hooks are cancelled and
awaited briefly, so what they record on the way out (a withdrawn approval) lands on the
transaction before it is finished.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field, replace

from django.conf import settings

from policies.base import Policy, StreamingMode
from policies.context import PolicyContext
from policies.engine.blocks import block_events, run_held_block
from policies.engine.guard import HookFailed, guarded, report_failure
from policies.engine.notices import policy_failure_text
from wire.neutral import (
    END_TURN,
    TOOL_USE,
    Block,
    BlockStart,
    BlockStop,
    Event,
    KeepAlive,
    MessageEnd,
    MessageStart,
    OpaqueBlock,
    OpaqueDelta,
    StreamError,
    TextBlock,
    TextDelta,
    ToolArgsDelta,
    ToolCallBlock,
)

QueueItem = list[Event] | asyncio.Task[list[Block]]
CANCEL_GRACE_S = 1.0  # how long a closed stage waits for cancelled hooks to finish


@dataclass(slots=True)
class _OpenBlock:
    """An input block being received."""

    block: Block
    held: bool
    parts: list[str] = field(default_factory=list)
    failed: bool = False


class StreamRun:
    """One response going through one policy. Not shared between requests."""

    def __init__(self, policy: Policy, ctx: PolicyContext) -> None:
        self.policy = policy
        self.ctx = ctx
        mode = policy.mode
        self.hold_tools = mode >= StreamingMode.HOLD_TOOL_CALLS
        self.hold_text = mode >= StreamingMode.HOLD_TEXT_BLOCKS
        self.hold_all = mode >= StreamingMode.HOLD_RESPONSE
        self.keep_alive = ctx.request.stream and self.hold_tools
        self.rewrite_text = type(policy).on_text_delta is not Policy.on_text_delta or (
            type(policy).on_text_end is not Policy.on_text_end
        )
        self.queue: deque[QueueItem] = deque()
        self.open: dict[int, _OpenBlock] = {}
        self.index_map: dict[int, int] = {}
        self.next_index = 0
        self.started = False
        self.end: MessageEnd | None = None
        self.error: StreamError | None = None
        self.tool_calls_out = 0  # client tool calls released (provider-run calls not counted)
        self.removed_calls: set[str] = set()  # ids of provider-run calls the policy removed

    # --- input ---------------------------------------------------------------------------

    def feed(self, events: list[Event]) -> None:
        """Take a batch of input events; queue what they produce."""
        live: list[Event] = []
        for event in events:
            if self.end is not None or self.error is not None:
                break
            if isinstance(event, TextDelta):
                self._text_delta(event, live)
            elif isinstance(event, ToolArgsDelta):
                entry = self.open.get(event.index)
                if entry is not None and entry.held:
                    entry.parts.append(event.partial_json)
                else:
                    live.append(event)
            elif isinstance(event, BlockStart):
                self._block_start(event, live)
            elif isinstance(event, BlockStop):
                self._block_stop(event, live)
            elif isinstance(event, MessageEnd):
                self.end = event
            elif isinstance(event, StreamError):
                self.error = event
            elif isinstance(event, MessageStart):
                if not self.started:
                    self.started = True
                    live.append(event)
            else:
                live.append(event)
        if live:
            self.queue.append(live)

    def _text_delta(self, event: TextDelta, live: list[Event]) -> None:
        entry = self.open.get(event.index)
        if self.hold_tools:
            self.ctx.response_text.append(event.text)  # what a reviewer reads before a call
        if entry is None:
            live.append(event)
        elif entry.held:
            entry.parts.append(event.text)
        elif entry.failed:
            return
        elif self.rewrite_text:
            try:
                text = self.policy.on_text_delta(event.text, self.ctx)
            except Exception as error:
                self._text_failed(entry, error, event.index, live)
                if self.policy.fail_open:
                    live.append(event)
                return
            if text:
                live.append(event if text is event.text else TextDelta(event.index, text))
        else:
            live.append(event)

    def _text_failed(
        self, entry: _OpenBlock, error: Exception, index: int, live: list[Event]
    ) -> None:
        if not isinstance(error, HookFailed):  # a chain member's failure is already reported
            report_failure(self.policy, self.ctx, "streamed text", error)
        if not self.policy.fail_open:
            entry.failed = True
            notice = policy_failure_text(
                policy=self.policy.label, what="the rest of this text", error=error
            )
            live.append(TextDelta(index, "\n" + notice.text))

    def _block_start(self, event: BlockStart, live: list[Event]) -> None:
        block = event.block
        if isinstance(block, TextBlock):
            held = self.hold_text
        elif isinstance(block, ToolCallBlock):
            held = self.hold_tools
        else:
            held = False
        self.open[event.index] = _OpenBlock(block=block, held=held)
        if not held:
            live.append(event)

    def _block_stop(self, event: BlockStop, live: list[Event]) -> None:
        entry = self.open.pop(event.index, None)
        if entry is None:
            return
        if not entry.held:
            if isinstance(entry.block, TextBlock) and self.rewrite_text and not entry.failed:
                try:
                    tail = self.policy.on_text_end(self.ctx)
                except Exception as error:
                    self._text_failed(entry, error, event.index, live)
                    tail = ""
                if tail:
                    live.append(TextDelta(event.index, tail))
            live.append(event)
            return
        if live:
            self.queue.append(live[:])
            live.clear()
        complete = _completed(entry)
        self.queue.append(asyncio.ensure_future(self._run_held(complete)))

    async def _run_held(self, block: Block) -> list[Block]:
        """The policy's blocks for a held one; notes a removed provider-run call."""
        result = await run_held_block(self.policy, self.ctx, block)
        if isinstance(block, ToolCallBlock) and block.runs_upstream:
            kept = any(isinstance(b, ToolCallBlock) and b.id == block.id for b in result)
            if not kept:
                self.removed_calls.add(block.id)
        return result

    # --- output --------------------------------------------------------------------------

    def drain_ready(self) -> list[Event]:
        """Release queued output whose turn has come and which is ready, in order."""
        out: list[Event] = []
        if self.hold_all and self.end is None and self.error is None:
            return out
        while self.queue:
            item = self.queue[0]
            if isinstance(item, list):
                self.queue.popleft()
                self._release_live(item, out)
            elif item.done():
                self.queue.popleft()
                self._release_blocks(item.result(), out)
            else:
                break
        return out

    async def finish(self) -> AsyncGenerator[list[Event], None]:
        """The input ended: wait for held work (with keep-alives), append, repair, and close
        the stream. Yields output batches; the last one ends the message."""
        out: list[Event] = []
        if self.error is not None:
            # The upstream's error ends the stream as it did upstream: no block is closed
            # first (a client sees exactly what the provider sent, then the error).
            self._cancel_pending()
            yield [self.error]
            return
        for entry_index in list(self.open):
            self.feed([BlockStop(entry_index)])
        while self.queue:
            item = self.queue[0]  # a held item stays queued until done: `cancel` finds it
            if isinstance(item, list):
                self.queue.popleft()
                self._release_live(item, out)
                continue
            if self.keep_alive and not item.done():
                if out:
                    yield out
                    out = []
                async with aclosing(_heartbeats(item)) as beats:
                    async for beat in beats:
                        batch: list[Event] = []
                        self._ensure_started(batch)
                        yield [*batch, *beat]
            blocks = await item
            self.queue.popleft()
            self._release_blocks(blocks, out)
        self._release_blocks(await self._appended_blocks(), out)
        self._close_open_blocks(out)
        self._ensure_started(out)
        out.append(self._final_end())
        yield out

    async def _appended_blocks(self) -> list[Block]:
        try:
            return await guarded(
                self.policy,
                self.ctx,
                self.policy.on_response_end(self.ctx),
                what="the end of the response",
                original=[],
            )
        except HookFailed as failed:
            notice = policy_failure_text(
                policy=self.policy.label, what="its end-of-response check", error=failed.error
            )
            return [notice]

    def _release_live(self, events: list[Event], out: list[Event]) -> None:
        for event in events:
            if isinstance(event, MessageStart):
                out.append(event)
                continue
            self._ensure_started(out)
            if isinstance(event, BlockStart):
                if self._orphaned(event.block):
                    continue
                mapped: int | None = self.next_index
                self.index_map[event.index] = self.next_index
                self.next_index += 1
                if isinstance(event.block, ToolCallBlock) and not event.block.runs_upstream:
                    self.tool_calls_out += 1
            elif isinstance(event, BlockStop):
                mapped = self.index_map.pop(event.index, None)
            elif isinstance(event, (TextDelta, ToolArgsDelta, OpaqueDelta)):
                mapped = self.index_map.get(event.index)
            else:
                out.append(event)
                continue
            if mapped is None:
                continue
            out.append(event if mapped == event.index else replace(event, index=mapped))

    def _release_blocks(self, blocks: list[Block], out: list[Event]) -> None:
        if not blocks:
            return
        self._ensure_started(out)
        for block in blocks:
            if self._orphaned(block):
                continue
            if isinstance(block, ToolCallBlock) and not block.runs_upstream:
                self.tool_calls_out += 1
            out.extend(block_events(self.next_index, block))
            self.next_index += 1

    def _orphaned(self, block: Block) -> bool:
        """A provider's result block for a call the policy removed."""
        if not self.removed_calls or not isinstance(block, OpaqueBlock):
            return False
        return block.raw.get("tool_use_id") in self.removed_calls

    def _ensure_started(self, out: list[Event]) -> None:
        if not self.started:
            self.started = True
            request = self.ctx.request
            out.append(MessageStart(id=f"msg_{self.ctx.transaction_id}", model=request.model))

    def _close_open_blocks(self, out: list[Event]) -> None:
        for in_index in list(self.index_map):
            out.append(BlockStop(self.index_map.pop(in_index)))

    def _final_end(self) -> MessageEnd:
        end = self.end or MessageEnd(stop_reason=END_TURN)
        if end.stop_reason == TOOL_USE and self.tool_calls_out == 0:
            return replace(end, stop_reason=END_TURN)
        return end

    def _cancel_pending(self) -> None:
        for item in self.queue:
            if not isinstance(item, list):
                item.cancel()
        self.queue.clear()

    def cancel(self) -> None:
        """The client left: stop every pending hook."""
        self._cancel_pending()

    async def cancel_and_wait(self) -> None:
        """Stop every pending hook and give them `CANCEL_GRACE_S` to record their way out."""
        tasks = [item for item in self.queue if not isinstance(item, list) and not item.done()]
        self._cancel_pending()
        if tasks:
            await asyncio.wait(tasks, timeout=CANCEL_GRACE_S)


async def _heartbeats(task: asyncio.Task[list[Block]]) -> AsyncGenerator[list[Event], None]:
    """A `KeepAlive` batch every `LUTHIEN_STREAM_KEEPALIVE_S` until `task` is done."""
    interval = max(float(settings.LUTHIEN_STREAM_KEEPALIVE_S), 0.01)
    while not task.done():
        done, _ = await asyncio.wait({task}, timeout=interval)
        if not done:
            yield [KeepAlive()]


def _completed(entry: _OpenBlock) -> Block:
    block = entry.block
    joined = "".join(entry.parts)
    if isinstance(block, TextBlock):
        return TextBlock(text=block.text + joined, extra=block.extra)
    if isinstance(block, ToolCallBlock):
        return ToolCallBlock(
            id=block.id, name=block.name, arguments=block.arguments + joined, extra=block.extra
        )
    return block


async def apply_policy(
    policy: Policy, ctx: PolicyContext, batches: AsyncGenerator[list[Event], None]
) -> AsyncGenerator[list[Event], None]:
    """The policy stage of the pipeline: yields output batches as they become ready."""
    run = StreamRun(policy, ctx)
    try:
        async with aclosing(batches) as source:
            async for batch in source:
                run.feed(batch)
                ready = run.drain_ready()
                if ready:
                    yield ready
        async with aclosing(run.finish()) as tail:
            async for out in tail:
                if out:
                    yield out
    finally:
        await run.cancel_and_wait()
