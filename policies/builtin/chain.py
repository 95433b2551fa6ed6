"""`chain`: several policies in series, each seeing the previous one's output."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from policies.base import Policy, PolicyConfigSchema, Refusal, StreamingMode
from policies.config_secrets import MASK, POLICY_CONFIG_OF
from policies.context import PolicyContext
from policies.engine.guard import HookFailed, guarded, report_failure
from policies.engine.notices import policy_failure_text
from policies.registry import build_policy, register, registry
from wire.neutral import Block, Request, TextBlock, ToolCallBlock


class ChainMember(BaseModel):
    """One member: a registered policy class and its config."""

    model_config = ConfigDict(extra="forbid")

    policy: str = Field(description="Name of a registered policy class, e.g. `all-caps`.")
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="That policy's config.",
        json_schema_extra={POLICY_CONFIG_OF: "policy"},  # its secrets are found by that schema
    )
    label: str | None = Field(default=None, description="Name shown in decisions.")

    @model_validator(mode="after")
    def _known_and_valid(self) -> ChainMember:
        if self.policy not in registry().names():
            raise ValueError(f"unknown policy class {self.policy!r}")
        if self.policy == "chain":
            raise ValueError("a chain cannot contain another chain")
        try:
            registry().get(self.policy).Config.model_validate(self.config)
        except ValidationError as error:  # the member's errors, under `config`
            raise ValidationError.from_exception_data(
                "ChainMember",
                [
                    InitErrorDetails(
                        type=PydanticCustomError(item["type"], "{reason}", {"reason": item["msg"]}),
                        loc=("config", *item["loc"]),
                        input=MASK,
                    )
                    for item in error.errors(include_url=False)
                ],
            ) from None
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

    class Config(PolicyConfigSchema):
        members: list[ChainMember] = Field(
            default_factory=list, description="The member policies, in the order they run."
        )

    def __init__(
        self, config: PolicyConfigSchema | None = None, *, label: str | None = None
    ) -> None:
        super().__init__(config, label=label)
        assert isinstance(self.config, ChainPolicy.Config)
        self.members: list[Policy] = [
            build_policy(m.policy, m.config, label=m.label or m.policy) for m in self.config.members
        ]

    @property
    def mode(self) -> StreamingMode:
        return max((m.mode for m in self.members), default=StreamingMode.PASS_THROUGH)

    @property
    def fail_open(self) -> bool:
        """Never: each member is guarded with its own `fail_open` and timeout."""
        return False

    @property
    def timeout_slots(self) -> int:
        return max(len(self.members), 1)

    async def on_request(self, request: Request, ctx: PolicyContext) -> Request | Refusal:
        for member in self.members:
            hook = member.on_request(request, ctx)
            result = await guarded(member, ctx, hook, what="the request", original=request)
            if isinstance(result, Refusal):
                return result
            request = result
        return request

    def on_text_delta(self, text: str, ctx: PolicyContext) -> str:
        for member in self.members:
            if not text:
                break
            text = _text_hook(member, ctx, text, member.on_text_delta, text)
        return text

    def on_text_end(self, ctx: PolicyContext) -> str:
        carry = ""
        for member in self.members:
            if carry:
                carry = _text_hook(member, ctx, carry, member.on_text_delta, carry)
            carry += _text_hook(member, ctx, "", member.on_text_end)
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
                    block = await _member_block(member, ctx, block, "a tool call")
            elif isinstance(block, TextBlock):
                block = await _member_block(member, ctx, block, "a text block")
        return block

    async def on_response_end(self, ctx: PolicyContext) -> list[Block]:
        appended: list[Block] = []
        for member in self.members:
            appended.extend(await member.on_response_end(ctx))
        return appended


async def _member_block(
    member: Policy, ctx: PolicyContext, block: Block, what: str
) -> Block | None:
    """One member's verdict on a whole block, under its own timeout and fail-open setting; a
    member that fails closed replaces the block with a notice (text for the next members)."""
    hook = (
        member.process_tool_call(block, ctx)
        if isinstance(block, ToolCallBlock)
        else member.process_text_block(block, ctx)  # type: ignore[arg-type]
    )
    try:
        return await guarded(member, ctx, hook, what=what, original=block)
    except HookFailed as failed:
        return policy_failure_text(policy=member.label, what=what, error=failed.error)


def _text_hook(
    member: Policy, ctx: PolicyContext, original: str, hook: Callable[..., str], *args: str
) -> str:
    """`hook(*args, ctx)` of one member: a failure keeps `original` if that member is fail-open,
    else fails closed."""
    try:
        return hook(*args, ctx)
    except Exception as error:
        report_failure(member, ctx, "streamed text", error)
        if member.fail_open:
            return original
        raise HookFailed(error) from error
