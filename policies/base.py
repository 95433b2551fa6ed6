"""The Policy base class: its hooks are the policy author's manual.

A policy overrides only the hooks it needs; every default passes content through unchanged. The
engine (`policies.engine`) does all buffering and protocol bookkeeping, so a hook only ever sees
and returns content. One instance serves many concurrent requests: keep per-request state on the
context (`ctx.state_for(self, factory)`), never on `self`.

Hooks, in the order the engine calls them:

- `on_request(request, ctx)`        before the upstream call: return the (possibly rewritten)
                                     request, or `Refusal("message")` to answer without calling
                                     the upstream (the client sees the message as the reply).
- `on_text_delta(text, ctx)`        each streamed piece of assistant text; return what to emit
                                     now ("" holds it back; return held text later).
- `on_text_end(ctx)`                the text block is complete: return any text still held.
- `on_text_block(block, ctx)`       (modes HOLD_TEXT_BLOCKS / HOLD_RESPONSE) a complete text
                                     block: return it, a replacement, or None to drop it.
- `on_tool_call(call, ctx)`         (modes HOLD_TOOL_CALLS and up) a complete tool call: return
                                     it (allow), a rewritten call, a TextBlock (replace), None
                                     (drop), or `Escalation(call, reason)` to hold it for a human
                                     (the approval queue, `policies.approvals`; the engine waits
                                     outside the hook timeout and keeps the client's stream alive).
- `on_response_end(ctx)`            the upstream finished: return blocks to append (e.g. a warning).

Every decision (rewrote, blocked, allowed, judge score, error) goes through `ctx.decide`.
Hooks run under `LUTHIEN_POLICY_TIMEOUT_S`; an exception or timeout fails closed (the content is
replaced by a readable notice) unless the config sets `fail_open: true`.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from policies.context import PolicyContext
from wire.neutral import Block, Request, TextBlock, ToolCallBlock


class StreamingMode(enum.IntEnum):
    """How much the engine holds back before the policy sees it (higher holds more)."""

    PASS_THROUGH = 0  # text and tool calls stream live; on_tool_call is not consulted
    HOLD_TOOL_CALLS = 1  # text streams live; each tool call is held until complete
    HOLD_TEXT_BLOCKS = 2  # each text block and tool call is held until complete
    HOLD_RESPONSE = 3  # nothing is released until the upstream response is complete


class PolicyConfigSchema(BaseModel):
    """Base of every policy's typed config. Subclass it as `MyPolicy.Config`."""

    model_config = ConfigDict(extra="forbid")

    fail_open: bool = Field(
        default=False,
        description="If the policy fails or times out, let the content through instead of "
        "withholding it.",
    )


@dataclass(slots=True)
class Refusal:
    """Returned by `on_request` to answer the client without calling the upstream."""

    message: str


TimeoutAction = Literal["deny", "allow"]


@dataclass(slots=True)
class Escalation:
    """Returned by `on_tool_call` to hold `call` until a human approves, denies or edits it.

    `timeout_s` (None: `LUTHIEN_APPROVAL_TIMEOUT_S`) bounds the wait; then `on_timeout` applies
    (deny by default). `policy` is the label of the policy that escalated (the engine fills it).
    `fallback`, when set, replaces `on_timeout`: called with the held call, it is awaited for
    the block that replaces the call when nobody decided in time or the queue is down
    (`monitor` defers to its trusted model this way); it runs outside the hook timeout, so it
    must bound its own wait."""

    call: ToolCallBlock
    reason: str
    timeout_s: float | None = None
    on_timeout: TimeoutAction = "deny"
    policy: str = ""
    fallback: Callable[[ToolCallBlock], Awaitable[Block]] | None = None


ToolCallResult = Block | Escalation | None


class Policy:
    """Base class of every policy. Subclasses set `name`, `description`, `Config`, and
    override hooks. Register with `@policies.registry.register`."""

    name: ClassVar[str] = "base"
    description: ClassVar[str] = ""
    Config: ClassVar[type[PolicyConfigSchema]] = PolicyConfigSchema
    streaming_mode: ClassVar[StreamingMode] = StreamingMode.PASS_THROUGH
    example_config: ClassVar[dict[str, Any]] = {}
    #: Trajectory rules set this: the pipeline then loads `ctx.session` (the session's earlier
    #: decisions, `policies.session`) before `on_request`.
    needs_session: ClassVar[bool] = False

    def __init__(
        self, config: PolicyConfigSchema | None = None, *, label: str | None = None
    ) -> None:
        self.config = config if config is not None else self.Config()
        self.label = label or self.name

    @classmethod
    def from_config(cls, data: dict[str, Any] | None, *, label: str | None = None) -> Policy:
        """Validate `data` against `Config` (raises pydantic.ValidationError) and build."""
        return cls(cls.Config.model_validate(data or {}), label=label)

    @property
    def fail_open(self) -> bool:
        """Whether failures of this policy let content through."""
        return self.config.fail_open

    @property
    def timeout_slots(self) -> int:
        """How many hook timeouts one call of this policy's hooks may take (chains: members)."""
        return 1

    @property
    def mode(self) -> StreamingMode:
        """The streaming mode the engine uses for this instance (a chain computes it)."""
        return self.streaming_mode

    @property
    def uses_session(self) -> bool:
        """Whether requests need `ctx.session` loaded (a chain asks its members)."""
        return self.needs_session

    # --- hooks: override what you need -------------------------------------------------------

    async def on_request(self, request: Request, ctx: PolicyContext) -> Request | Refusal:
        """Inspect or rewrite the request; return `Refusal(message)` to refuse it."""
        return request

    def on_text_delta(self, text: str, ctx: PolicyContext) -> str:
        """Rewrite one streamed piece of text. Must be fast: it runs per chunk, without I/O."""
        return text

    def on_text_end(self, ctx: PolicyContext) -> str:
        """A text block ended: return text still held back by `on_text_delta` ("" if none)."""
        return ""

    async def on_text_block(self, block: TextBlock, ctx: PolicyContext) -> Block | None:
        """A complete text block (held modes only): return it, a replacement, or None."""
        return block

    async def on_tool_call(self, call: ToolCallBlock, ctx: PolicyContext) -> ToolCallResult:
        """A complete tool call: return it, a rewritten call, a TextBlock, None to drop, or an
        `Escalation` to hold it for a human."""
        return call

    async def on_response_end(self, ctx: PolicyContext) -> list[Block]:
        """The upstream response is complete: return blocks to append (usually none)."""
        return []

    # --- composition helpers used by the engine and by chains --------------------------------

    async def process_text_block(self, block: TextBlock, ctx: PolicyContext) -> Block | None:
        """A whole text block through this policy: delta hook, end hook, then block hook."""
        text = self.on_text_delta(block.text, ctx) + self.on_text_end(ctx)
        if text != block.text:
            block = TextBlock(text=text, extra=block.extra)
        if self.mode >= StreamingMode.HOLD_TEXT_BLOCKS:
            return await self.on_text_block(block, ctx)
        return block

    async def process_tool_call(self, call: ToolCallBlock, ctx: PolicyContext) -> ToolCallResult:
        """A complete tool call through this policy."""
        return await self.on_tool_call(call, ctx)
