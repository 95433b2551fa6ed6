"""`strikes`: after N blocked calls in a session, further tool calls wait for a person.

A trajectory rule (`ctx.session`). It counts the `blocked` decisions of *earlier* calls of the
session (any policy but itself; only those after the latest clearance by a person). Once the
count reaches `max_blocked`, every further tool call of the session is stopped:

- `lock` (default): blocked, with a text saying the session is locked until a person clears it;
- `escalate`: escalated for approval, call by call.

Staff clear a session on its page (`/activity/sessions/<id>/`, "Clear strikes"), with the
admin action on transactions, or `POST /api/admin/sessions/<id>/clear`.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from policies.base import Policy, PolicyConfigSchema, StreamingMode, ToolCallResult
from policies.context import PolicyContext
from policies.registry import register
from policies.trajectory import stop_call
from wire.neutral import ToolCallBlock


@register
class StrikesPolicy(Policy):
    """Locks (or escalates) a session's tool calls after too many blocked calls."""

    name = "strikes"
    description = (
        "Trajectory rule: after N blocked tool calls in a session, every further tool call is "
        "blocked with a 'session locked' message (or escalated) until a person clears the "
        "session."
    )
    streaming_mode: ClassVar[StreamingMode] = StreamingMode.HOLD_TOOL_CALLS
    needs_session = True
    example_config = {"max_blocked": 3, "action": "lock"}

    class Config(PolicyConfigSchema):
        """How many strikes, and what then."""

        max_blocked: int = Field(
            default=3,
            ge=1,
            description="Blocked tool calls in the session (since the last clearance) after "
            "which the session is locked or escalated.",
        )
        action: Literal["lock", "escalate"] = Field(
            default="lock",
            description="`lock`: block every further tool call until a person clears the "
            "session; `escalate`: send each further tool call for approval.",
        )
        policies: list[str] = Field(
            default_factory=list,
            description="Count only blocks by these policy labels (empty: any policy).",
        )

    def strikes(self, ctx: PolicyContext) -> int:
        """Blocked calls of earlier transactions since the session was last cleared."""
        session = ctx.session
        counted = set(self.config.policies)  # type: ignore[attr-defined]
        return sum(
            1
            for event in session.decisions("blocked", since=session.cleared_at)
            if event.policy != self.label and (not counted or event.policy in counted)
        )

    async def on_tool_call(self, call: ToolCallBlock, ctx: PolicyContext) -> ToolCallResult:
        """Pass the call while the session has fewer strikes than `max_blocked`."""
        assert isinstance(self.config, StrikesPolicy.Config)
        count = self.strikes(ctx)
        limit = self.config.max_blocked
        if count < limit:
            return call
        if self.config.action == "escalate":
            reason = f"{count} blocked tool calls in this session (limit {limit})"
            return stop_call(self, call, ctx, action="escalate", reason=reason, strikes=count)
        reason = (
            f"this session is locked after {count} blocked tool calls (limit {limit}); a "
            "person must clear it (the session's page, 'Clear strikes') before tool calls run"
        )
        return stop_call(self, call, ctx, action="block", reason=reason, strikes=count, locked=True)
