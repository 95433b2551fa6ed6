"""The neutral model every policy sees, whatever the client's wire format.

A `Request` holds messages made of blocks; a response is a sequence of small events. Blocks are
text, tool call, tool result and *opaque* (thinking, images, documents, server tools, anything
unknown): opaque blocks carry their raw JSON and pass through untouched. Every type keeps an
`extra` dict of fields the gateway does not interpret, so same-format traffic round-trips
losslessly; `hints` hold codec-private facts about the original shape (e.g. "content was a
string").

Event sequence of one response (the engine guarantees it on output):

    MessageStart, then per block: BlockStart, deltas (TextDelta / ToolArgsDelta / OpaqueDelta),
    BlockStop; OpaqueEvent (ping, unknown events) anywhere; MessageEnd last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Literal

import orjson

WireFormat = Literal["openai", "anthropic", "responses"]
"""`openai`: Chat Completions, `anthropic`: Messages, `responses`: the OpenAI Responses API."""

# Neutral stop reasons (Anthropic's vocabulary); codecs map their own values to these and pass
# anything unknown through unchanged.
END_TURN = "end_turn"
TOOL_USE = "tool_use"
MAX_TOKENS = "max_tokens"
STOP_SEQUENCE = "stop_sequence"
REFUSAL = "refusal"
FAILED = "failed"
"""The provider reports that the response failed after it began (Responses `response.failed`):
relayed as such, recorded as an upstream error."""


def _extra() -> dict[str, Any]:
    return {}


# --- blocks ------------------------------------------------------------------------------------


@dataclass(slots=True)
class TextBlock:
    """Assistant or user text."""

    text: str = ""
    extra: dict[str, Any] = field(default_factory=_extra)
    kind: ClassVar[str] = "text"


UPSTREAM_RUN_CALL_TYPES: Final = frozenset({"server_tool_use", "mcp_tool_use"})
"""`ToolCallBlock.extra["type"]` values of calls the provider runs: their results follow in the
same response (a block whose `tool_use_id` names the call), and they never stop the turn."""


@dataclass(slots=True)
class ToolCallBlock:
    """A tool call: `arguments` is the JSON text exactly as the model produced it."""

    id: str
    name: str
    arguments: str = ""
    extra: dict[str, Any] = field(default_factory=_extra)
    kind: ClassVar[str] = "tool_call"

    @property
    def runs_upstream(self) -> bool:
        """Whether the provider runs this call itself (a server or MCP tool), not the client."""
        return self.extra.get("type") in UPSTREAM_RUN_CALL_TYPES

    def parsed_arguments(self) -> Any:
        """The arguments as JSON data; `{}` for empty text, the raw string if it is not JSON."""
        if not self.arguments.strip():
            return {}
        try:
            return orjson.loads(self.arguments)
        except orjson.JSONDecodeError:
            return self.arguments


@dataclass(slots=True)
class ToolResultBlock:
    """The result of a tool call, sent by the client. `content` is a string or raw block list."""

    tool_call_id: str
    content: Any
    is_error: bool | None = None
    extra: dict[str, Any] = field(default_factory=_extra)
    kind: ClassVar[str] = "tool_result"

    def text(self) -> str:
        """The textual part of the content."""
        if isinstance(self.content, str):
            return self.content
        if isinstance(self.content, list):
            parts = [p.get("text", "") for p in self.content if isinstance(p, dict)]
            return "".join(p for p in parts if isinstance(p, str))
        return ""


@dataclass(slots=True)
class OpaqueBlock:
    """Anything the gateway does not interpret (thinking, images, documents, server tools...)."""

    raw: dict[str, Any]
    kind: ClassVar[str] = "opaque"

    @property
    def type(self) -> str:
        """The block's own `type` field, e.g. "thinking"."""
        return str(self.raw.get("type", ""))


Block = TextBlock | ToolCallBlock | ToolResultBlock | OpaqueBlock


# --- request -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Message:
    """One conversation turn. Roles: user, assistant, tool (OpenAI), system/developer (OpenAI)."""

    role: str
    content: list[Block]
    extra: dict[str, Any] = field(default_factory=_extra)
    hints: dict[str, Any] = field(default_factory=_extra)

    def text(self) -> str:
        """All text blocks joined."""
        return "".join(b.text for b in self.content if isinstance(b, TextBlock))


@dataclass(slots=True)
class ToolSpec:
    """A tool the client offers the model."""

    name: str
    description: str | None = None
    input_schema: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=_extra)


@dataclass(slots=True)
class Request:
    """A model call in neutral form. `params` holds every other top-level field, untouched."""

    format: WireFormat
    model: str
    messages: list[Message]
    system: list[Block] | None = None
    tools: list[ToolSpec] | None = None
    stream: bool = False
    params: dict[str, Any] = field(default_factory=_extra)
    hints: dict[str, Any] = field(default_factory=_extra)

    def last_user_text(self) -> str:
        """Text of the last user message ("" if none)."""
        for message in reversed(self.messages):
            if message.role == "user":
                return message.text()
        return ""

    def system_text(self) -> str:
        """The system prompt as text, from `system` or system/developer messages."""
        parts = [b.text for b in self.system or [] if isinstance(b, TextBlock)]
        parts += [m.text() for m in self.messages if m.role in ("system", "developer")]
        return "\n".join(p for p in parts if p)


# --- response events ---------------------------------------------------------------------------


@dataclass(slots=True)
class Usage:
    """Token counts; `raw` keeps the provider's own usage object for a lossless round trip."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    raw: dict[str, Any] | None = None


@dataclass(slots=True)
class MessageStart:
    """The response begins. `extra` keeps provider fields (created, system_fingerprint, ...)."""

    id: str
    model: str
    usage: Usage | None = None
    extra: dict[str, Any] = field(default_factory=_extra)
    type: ClassVar[str] = "message_start"


@dataclass(slots=True)
class BlockStart:
    """A content block opens at `index`; `block` carries its identity (tool id, name, raw)."""

    index: int
    block: Block
    type: ClassVar[str] = "block_start"


@dataclass(slots=True)
class TextDelta:
    """A piece of text for the open text block at `index`."""

    index: int
    text: str
    type: ClassVar[str] = "text_delta"


@dataclass(slots=True)
class ToolArgsDelta:
    """A piece of tool-call argument JSON for the block at `index`."""

    index: int
    partial_json: str
    type: ClassVar[str] = "tool_args_delta"


@dataclass(slots=True)
class OpaqueDelta:
    """A delta the gateway does not interpret (thinking, signature, citations), raw."""

    index: int
    raw: dict[str, Any]
    type: ClassVar[str] = "opaque_delta"


@dataclass(slots=True)
class BlockStop:
    """The block at `index` is complete."""

    index: int
    type: ClassVar[str] = "block_stop"


@dataclass(slots=True)
class MessageEnd:
    """The response ends: neutral stop reason, stop sequence, final usage."""

    stop_reason: str | None
    stop_sequence: str | None = None
    usage: Usage | None = None
    extra: dict[str, Any] = field(default_factory=_extra)
    type: ClassVar[str] = "message_end"


@dataclass(slots=True)
class OpaqueEvent:
    """A stream event passed through untouched (ping, unknown event types)."""

    raw: dict[str, Any]
    name: str | None = None
    type: ClassVar[str] = "opaque_event"


@dataclass(slots=True)
class StreamError:
    """The upstream reported an error in the middle of a stream."""

    status: int
    error_type: str
    message: str
    type: ClassVar[str] = "stream_error"


Event = (
    MessageStart
    | BlockStart
    | TextDelta
    | ToolArgsDelta
    | OpaqueDelta
    | BlockStop
    | MessageEnd
    | OpaqueEvent
    | StreamError
)
