"""The canonical request every translation passes through, and the params both formats share.

Translation is decode (client codec) → `lift` (client adapter) → `Canonical` → `lower` (upstream
adapter) → encode (upstream codec). `Canonical` is a neutral `Request` held to stricter rules,
so that each format needs one adapter, not one per pair:

- `system`: text blocks only (or None); no system/developer messages in `messages`.
- `messages`: roles `user` and `assistant` only. User content: `TextBlock`, images as
  `OpaqueBlock` in Anthropic's shape (`{"type": "image", "source": {...}}`, see `image_block`),
  `ToolResultBlock` whose `content` is a string or a list of such text/image blocks. Assistant
  content: `TextBlock`, `ToolCallBlock` (client tools, `arguments` a JSON object's text) and
  reasoning as Anthropic's `thinking` / `redacted_thinking` opaque blocks.
- every `extra` and `hints` empty; `tools` plain function tools (`ToolSpec` without extra).
- `params`: the typed `CommonParams` below; a field a format has and the other cannot carry is
  refused (400 naming it) or dropped with a note by the adapter that lifts it.
- `call_names`: tools the client defined in a way the canonical form cannot (a Responses
  `namespace` bundle's functions are flattened to `<namespace>__<name>`; a custom tool's
  free-form input is wrapped in one string argument): each such tool's canonical name → the
  `ClientCall` its calls go back to the client as.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from wire.neutral import Block, Message, OpaqueBlock, TextBlock, ToolSpec

ChoiceMode = Literal["auto", "any", "none", "tool"]

DEFAULT_MAX_TOKENS = 4096
"""`max_tokens` sent to an upstream that requires it (Anthropic) when the client gave none: every
Claude model accepts it as an output limit (some older ones allow no more)."""

EFFORT_BUDGETS: dict[str, int] = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 24576}
"""Reasoning effort → Anthropic thinking budget (tokens), and back by the nearest budget."""


@dataclass(slots=True)
class ToolChoice:
    """Which tool the model may or must call: `auto`, `any` (some tool), `none`, or `tool`
    (the one named)."""

    mode: ChoiceMode
    name: str | None = None


@dataclass(slots=True)
class CommonParams:
    """The top-level request fields both formats can express, in one vocabulary."""

    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    reasoning_effort: str | None = None  # minimal / low / medium / high
    thinking_budget: int | None = None  # an explicit budget (Anthropic's own field)
    user: str | None = None


@dataclass(frozen=True, slots=True)
class ClientCall:
    """How a call of a renamed tool goes back to the client: its own name, the fields its
    call item carries (e.g. `{"type": "function_call", "namespace": "multi_agent_v1"}`), and,
    for a tool whose free-form input was wrapped in one string argument, that argument's key
    (`unwrap`): the call's input is that string."""

    name: str
    extra: dict[str, Any]
    unwrap: str | None = None


@dataclass(slots=True)
class Canonical:
    """A request in canonical form (see the module docstring); `model` is the client's."""

    model: str
    messages: list[Message]
    system: list[TextBlock] | None = None
    tools: list[ToolSpec] | None = None
    stream: bool = False
    params: CommonParams = field(default_factory=CommonParams)
    call_names: dict[str, ClientCall] = field(default_factory=dict)


def image_block(source: dict[str, Any]) -> OpaqueBlock:
    """The canonical image: `source` is `{"type": "base64", "media_type", "data"}` or
    `{"type": "url", "url"}`."""
    return OpaqueBlock({"type": "image", "source": source})


def without_empty_text(blocks: list[Block]) -> list[Block]:
    """`blocks` without empty text blocks (Chat Completions sends `content: ""` next to tool
    calls; the Messages API refuses empty text blocks)."""
    return [b for b in blocks if not (isinstance(b, TextBlock) and not b.text)]


def thinking_budget_to_effort(budget: int) -> str:
    """The effort whose budget is nearest to `budget`."""
    return min(EFFORT_BUDGETS, key=lambda effort: abs(EFFORT_BUDGETS[effort] - budget))
