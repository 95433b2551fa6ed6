"""`chain`: several policies in series, each seeing the previous one's output."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gateway.neutral import Block, Request, TextBlock, ToolCallBlock
from policies.base import Policy, PolicyConfig, Refusal, StreamingMode
from policies.context import PolicyContext
from policies.registry import build_policy, register, registry


class ChainMember(BaseModel):
    """One member: a registered policy class and its config."""

    model_config = ConfigDict(extra="forbid")

    policy: str = Field(description="Name of a registered policy class, e.g. `all-caps`.")
    config: dict[str, Any] = Field(default_factory=dict, description="That policy's config.")
    label: str | None = Field(default=None, description="Name shown in decisions.")

    @model_validator(mode="after")
    def _known_and_valid(self) -> ChainMember:
        if self.policy not in registry().names():
            raise ValueError(f"unknown policy class {self.policy!r}")
        if self.policy == "chain":
            raise ValueError("a chain cannot contain another chain")
        registry().get(self.policy).Config.model_validate(self.config)
        return self


@register
class ChainPolicy(Policy):
    """Runs member policies in order: each member sees what the previous produced. A tool
    call a member turned into text is text for the members after it."""

    name = "chain"
    description = "Run several policies in series."
    example_config = {
        "members": [
            {"policy": "block-dangerous-commands", "config": {}},
            {"policy": "string-replace", "config": {"replacements": {"foo": "bar"}}},
        ]
    }

    class Config(PolicyConfig):
        members: list[ChainMember] = Field(
            default_factory=list, description="The member policies, in the order they run."
        )

    def __init__(self, config: PolicyConfig | None = None, *, label: str | None = None) -> None:
        super().__init__(config, label=label)
        assert isinstance(self.config, ChainPolicy.Config)
        self.members: list[Policy] = [
            build_policy(m.policy, m.config, label=m.label or m.policy) for m in self.config.members
        ]

    @property
    def mode(self) -> StreamingMode:
        return max((m.mode for m in self.members), default=StreamingMode.PASS_THROUGH)

    async def on_request(self, request: Request, ctx: PolicyContext) -> Request | Refusal:
        for member in self.members:
            result = await member.on_request(request, ctx)
            if isinstance(result, Refusal):
                return result
            request = result
        return request

    def on_text_delta(self, text: str, ctx: PolicyContext) -> str:
        for member in self.members:
            if not text:
                break
            text = member.on_text_delta(text, ctx)
        return text

    def on_text_end(self, ctx: PolicyContext) -> str:
        carry = ""
        for member in self.members:
            carry = (member.on_text_delta(carry, ctx) if carry else "") + member.on_text_end(ctx)
        return carry

    async def process_text_block(self, block: TextBlock, ctx: PolicyContext) -> Block | None:
        return await self._from(0, block, ctx)

    async def process_tool_call(self, call: ToolCallBlock, ctx: PolicyContext) -> Block | None:
        return await self._from(0, call, ctx)

    async def _from(self, start: int, block: Block | None, ctx: PolicyContext) -> Block | None:
        for member in self.members[start:]:
            if block is None:
                return None
            if isinstance(block, ToolCallBlock):
                if member.mode >= StreamingMode.HOLD_TOOL_CALLS:
                    block = await member.process_tool_call(block, ctx)
            elif isinstance(block, TextBlock):
                block = await member.process_text_block(block, ctx)
        return block

    async def on_response_end(self, ctx: PolicyContext) -> list[Block]:
        appended: list[Block] = []
        for member in self.members:
            appended.extend(await member.on_response_end(ctx))
        return appended
