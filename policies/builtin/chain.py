"""`chain`: several policies in series, each seeing the previous one's output.

Escalations pass through: when a member escalates a tool call, the members after it still see
the call (a later block or rewrite wins over asking a human: a blocked call needs no approval);
if the call survives them all, the chain returns the escalation (with the call as the last member
left it) and the engine holds it for a human. Several escalating members make one escalation:
reasons joined, the shortest timeout, deny on timeout if any member says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from policies.base import (
    Escalation,
    Policy,
    PolicyConfigSchema,
    Refusal,
    StreamingMode,
    ToolCallResult,
)
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
    def uses_session(self) -> bool:
        return any(m.uses_session for m in self.members)

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
        result = await self._from(0, block, ctx)
        assert not isinstance(result, Escalation)  # only tool calls escalate
        return result

    async def process_tool_call(self, call: ToolCallBlock, ctx: PolicyContext) -> ToolCallResult:
        return await self._from(0, call, ctx)

    async def _from(self, start: int, block: Block | None, ctx: PolicyContext) -> ToolCallResult:
        escalation: Escalation | None = None
        for member in self.members[start:]:
            if block is None:
                return None
            if isinstance(block, ToolCallBlock):
                if member.mode >= StreamingMode.HOLD_TOOL_CALLS:
                    result = await _member_block(member, ctx, block, "a tool call")
                    if isinstance(result, Escalation):
                        result.policy = result.policy or member.label
                        escalation = _merged(escalation, result)
                        block = result.call
                    else:
                        block = result
            elif isinstance(block, TextBlock):
                text_result = await _member_block(member, ctx, block, "a text block")
                assert not isinstance(text_result, Escalation)
                block = text_result
        if escalation is not None and isinstance(block, ToolCallBlock):
            escalation.call = block
            return escalation
        return block

    async def on_response_end(self, ctx: PolicyContext) -> list[Block]:
        appended: list[Block] = []
        for member in self.members:
            appended.extend(await member.on_response_end(ctx))
        return appended


def _merged(first: Escalation | None, later: Escalation) -> Escalation:
    """One escalation for several escalating members."""
    if first is None:
        return later
    timeouts = [t for t in (first.timeout_s, later.timeout_s) if t is not None]
    return Escalation(
        call=later.call,
        reason=f"{first.reason}; {later.policy}: {later.reason}",
        timeout_s=min(timeouts) if timeouts else None,
        on_timeout="deny" if "deny" in (first.on_timeout, later.on_timeout) else "allow",
        policy=first.policy,
        fallback=first.fallback or later.fallback,
    )


async def _member_block(
    member: Policy, ctx: PolicyContext, block: Block, what: str
) -> ToolCallResult:
    """One member's verdict on a whole block, under its own timeout and fail-open setting; a
    member that fails closed replaces the block with a notice (text for the next members)."""
    hook = (
        member.process_tool_call(block, ctx)
        if isinstance(block, ToolCallBlock)
        else member.process_text_block(block, ctx)  # type: ignore[arg-type]
    )
    try:
        return await guarded(member, ctx, hook, what=what, original=block)  # type: ignore[arg-type]
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
