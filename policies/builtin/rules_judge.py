"""`rules-judge`: plain-English rules, enforced by an LLM judge on requests, replies and tools.

Three independent checks, each one judge call per item:

- the request (`check_request`): the latest user message, when the conversation ends with one
  (a turn that only carries tool results was checked when the user wrote it); a violation
  answers with a refusal naming the rule, without calling the upstream;
- reply text (`check_response_text`): each complete text block (the policy then holds text
  blocks, so text no longer streams live); a violation replaces the block with a notice;
- tool calls (`check_tool_calls`): each complete tool call; a violation replaces it with the
  DESIGN §4 notice.

The judge is asked which rule is broken (`"rule": <number>`); the notice names that rule (or
the only rule, if there is one). Judge failures fail closed unless `fail_open`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field, field_validator

from policies.base import Policy, PolicyConfigSchema, Refusal, StreamingMode
from policies.context import PolicyContext
from policies.engine.notices import blocked_tool_call_text, pretty_arguments
from policies.judge_client import (
    JudgeConfig,
    JudgeError,
    JudgeVerdict,
    judge_ask,
    judge_failed_tool_call_text,
    latest_user_text,
    score_text,
    template_check,
    template_render,
)
from policies.registry import register
from wire.neutral import Block, Message, Request, TextBlock, ToolCallBlock

DEFAULT_INSTRUCTIONS = (
    "You check content exchanged with an AI assistant against these rules:\n{rules}\n\n"
    "You are shown one item: a user request, a reply the assistant wrote, or a tool call the "
    "assistant wants to make. Estimate the probability (from 0 to 1) that this item breaks at "
    "least one rule. Judge only the item shown; context is there to help you understand it.\n"
    'Reply with only a JSON object: {"probability": <number from 0 to 1>, "rule": <number of '
    'the rule most likely broken, or null>, "explanation": "<one short sentence>"}'
)


@dataclass(frozen=True, slots=True)
class _Outcome:
    """A verdict applied to an item: whether it breaks a rule, which, and why."""

    violated: bool
    rule: str
    reason: str
    score: str
    details: dict[str, Any]


@register
class RulesJudgePolicy(Policy):
    """Enforces plain-English rules with an LLM judge on requests, reply text and tool calls."""

    name = "rules-judge"
    description = "Enforce plain-English rules with an LLM judge on requests, replies and tools."
    streaming_mode = StreamingMode.HOLD_TOOL_CALLS  # the default config's mode; see `mode`
    example_config = {
        "rules": [
            "Never delete files or directories outside the project.",
            "Do not help with malware, credential theft or evading security tools.",
        ],
        "check_request": True,
        "check_response_text": False,
        "check_tool_calls": True,
        "model": "mock/judge",
        "threshold": 0.6,
    }

    class Config(JudgeConfig):
        rules: list[str] = Field(
            default_factory=list,
            description="The rules, in plain English (with none, the policy checks nothing).",
        )
        check_request: bool = Field(
            default=True,
            description="Judge the user's latest message; refuse the request if it breaks a rule.",
        )
        check_response_text: bool = Field(
            default=False,
            description="Judge each complete reply text block (text is then held, not streamed "
            "live); replace a block that breaks a rule.",
        )
        check_tool_calls: bool = Field(
            default=True, description="Judge each tool call; block one that breaks a rule."
        )
        include_system_prompt: bool = Field(
            default=False,
            description="Send the system prompt along with the user's message when checking "
            "the request.",
        )
        instructions: str = Field(
            default=DEFAULT_INSTRUCTIONS,
            description="System prompt of the judge; {rules} (required) becomes the numbered "
            'rules. It must ask for {"probability": ..., "rule": ..., "explanation": ...}.',
        )

        @field_validator("rules")
        @classmethod
        def _non_empty_rules(cls, value: list[str]) -> list[str]:
            rules = [rule.strip() for rule in value]
            if not all(rules):
                raise ValueError("a rule must not be empty")
            return rules

        @field_validator("instructions")
        @classmethod
        def _placeholders(cls, value: str) -> str:
            fields = frozenset({"rules"})
            return template_check(value, allowed=fields, required=fields)

    def __init__(
        self, config: PolicyConfigSchema | None = None, *, label: str | None = None
    ) -> None:
        super().__init__(config, label=label)
        assert isinstance(self.config, RulesJudgePolicy.Config)
        self.options: RulesJudgePolicy.Config = self.config
        numbered = "\n".join(f"{i}. {rule}" for i, rule in enumerate(self.options.rules, 1))
        self.system_prompt = template_render(self.options.instructions, {"rules": numbered})

    @property
    def mode(self) -> StreamingMode:
        """Hold text blocks only when reply text is checked, tool calls only when they are."""
        options = self.options
        if options.rules and options.check_response_text:
            return StreamingMode.HOLD_TEXT_BLOCKS
        if options.rules and options.check_tool_calls:
            return StreamingMode.HOLD_TOOL_CALLS
        return StreamingMode.PASS_THROUGH

    # --- hooks ----------------------------------------------------------------------------

    async def on_request(self, request: Request, ctx: PolicyContext) -> Request | Refusal:
        """With `check_request`, judge the user's new message. Returns the request unchanged
        (allowed, nothing to check, or judge failure with fail_open) or a `Refusal` naming the
        broken rule (or saying the judge failed). Records one decision when it judged."""
        text = _new_user_text(request)
        if not (self.options.rules and self.options.check_request and text):
            return request
        item = f"Item: a user request to the assistant.\n\nUser request:\n{text}"
        if self.options.include_system_prompt and request.system_text():
            item += f"\n\nSystem prompt of the conversation:\n{request.system_text()}"
        try:
            outcome = await self._judge(item, ctx, target="request")
        except JudgeError as error:
            if self._failed(ctx, error, target="request"):
                return request
            return Refusal(self._failure_text("could not check this request", error))
        if outcome.violated:
            return Refusal(self._violation_text("refused this request", outcome))
        return request

    async def on_text_block(self, block: TextBlock, ctx: PolicyContext) -> Block | None:
        """With `check_response_text`, judge one complete reply text block. Returns it
        (allowed, blank, or judge failure with fail_open) or a notice replacing it."""
        if not (self.options.rules and self.options.check_response_text and block.text.strip()):
            return block
        item = (
            "Item: a reply the assistant wrote.\n\n"
            f"The user's latest request (context):\n{latest_user_text(ctx.request)}\n\n"
            f"The reply:\n{block.text}"
        )
        try:
            outcome = await self._judge(item, ctx, target="reply")
        except JudgeError as error:
            if self._failed(ctx, error, target="reply"):
                return block
            return TextBlock(text=self._failure_text("withheld a reply", error))
        if outcome.violated:
            return TextBlock(text=self._violation_text("withheld a reply", outcome))
        return block

    async def on_tool_call(self, call: ToolCallBlock, ctx: PolicyContext) -> Block | None:
        """With `check_tool_calls`, judge one complete tool call. Returns it (allowed, or
        judge failure with fail_open), the DESIGN §4 notice, or a withheld-call notice."""
        if not (self.options.rules and self.options.check_tool_calls):
            return call
        item = (
            "Item: a tool call the assistant wants to make.\n\n"
            f"The user's latest request (context):\n{latest_user_text(ctx.request)}\n\n"
            f"Tool: {call.name}\nArguments:\n{pretty_arguments(call)}"
        )
        try:
            outcome = await self._judge(item, ctx, target="tool_call", tool=call.name)
        except JudgeError as error:
            if self._failed(ctx, error, target="tool_call", tool=call.name):
                return call
            return judge_failed_tool_call_text(call, policy=self.label, reason=error.reason)
        if not outcome.violated:
            return call
        reason = f'breaks the rule "{outcome.rule}": {outcome.reason}'
        return blocked_tool_call_text(call, policy=self.label, reason=reason, score=outcome.score)

    # --- judging --------------------------------------------------------------------------

    async def _judge(self, item: str, ctx: PolicyContext, **target: Any) -> _Outcome:
        """Ask the judge about one item and record the blocked/allowed decision."""
        verdict = await judge_ask(self.options, system=self.system_prompt, user=item)
        outcome = self._outcome(verdict, target)
        action = "blocked" if outcome.violated else "allowed"
        ctx.decide(self, action, outcome.reason, **outcome.details)
        return outcome

    def _outcome(self, verdict: JudgeVerdict, target: dict[str, Any]) -> _Outcome:
        probability, threshold = verdict.probability, self.options.threshold
        violated = probability >= threshold
        rule = self.rule_named(verdict.data.get("rule"))
        reason = verdict.explanation or (
            "the judge found a rule broken" if violated else "no rule broken"
        )
        details = {**target, "rule": rule, "probability": probability, "threshold": threshold}
        return _Outcome(violated, rule, reason, score_text(probability, threshold), details)

    def rule_named(self, value: Any) -> str:
        """The rule the judge pointed at: its 1-based number (int or digits) or its text;
        the only rule if there is one; otherwise a generic phrase."""
        rules = self.options.rules
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= len(rules):
            return rules[value - 1]
        if isinstance(value, str) and value.strip():
            return value.strip()
        return rules[0] if len(rules) == 1 else "one of the configured rules"

    def _failed(self, ctx: PolicyContext, error: JudgeError, **target: Any) -> bool:
        """Record a judge failure; True if the item may pass (fail_open)."""
        fail_open = self.options.fail_open
        ctx.decide(self, "error", error.reason, kind=error.kind, fail_open=fail_open, **target)
        return fail_open

    # --- notices --------------------------------------------------------------------------

    def _violation_text(self, what: str, outcome: _Outcome) -> str:
        return (
            f'⛔ Luthien {what} (policy "{self.label}").\n'
            f"Rule: {outcome.rule}\n"
            f"Reason: {outcome.reason} ({outcome.score})\n"
        )

    def _failure_text(self, what: str, error: JudgeError) -> str:
        return (
            f'⛔ Luthien {what} (policy "{self.label}"): the judge that checks it failed, '
            "so nothing unchecked was sent.\n"
            f"Reason: {error.reason}\n"
        )


def _new_user_text(request: Request) -> str:
    """The new turn's prompt text: the messages after the last assistant message, from the first
    user message on (user text, and the system, developer or newer-role messages clients append
    after it, such as Claude Code's trailing system message), joined ("" when there is none).
    System and developer messages before the user's are the system prompt, not the request."""
    turn: list[Message] = []
    for message in reversed(request.messages):
        if message.role == "assistant":
            break
        turn.append(message)
    turn.reverse()
    users = [i for i, message in enumerate(turn) if message.role == "user"]
    if not users:
        return ""
    texts = [message.text() for message in turn[users[0] :]]
    return "\n\n".join(text for text in texts if text.strip())
