"""Readable texts the engine and policies put in front of the client."""

from __future__ import annotations

import json

from wire.neutral import TextBlock, ToolCallBlock


def pretty_arguments(call: ToolCallBlock) -> str:
    """The tool call's arguments as indented JSON (or the raw text if not JSON)."""
    parsed = call.parsed_arguments()
    if isinstance(parsed, str):
        return parsed
    return json.dumps(parsed, indent=2, ensure_ascii=False)


def blocked_tool_call_text(
    call: ToolCallBlock, *, policy: str, reason: str, score: str | None = None
) -> TextBlock:
    """The text block that replaces a blocked tool call (DESIGN §4)."""
    reason_line = f"Reason: {reason}" + (f" ({score})" if score else "")
    text = (
        f'⛔ Luthien blocked a tool call (policy "{policy}").\n'
        f"Tool: {call.name}\n"
        f"{reason_line}\n"
        f"Arguments:\n{pretty_arguments(call)}\n"
    )
    return TextBlock(text=text)


def policy_failure_text(*, policy: str, what: str, error: BaseException) -> TextBlock:
    """The notice sent instead of content a failed policy could not check (fail closed)."""
    detail = "timed out" if isinstance(error, TimeoutError) else type(error).__name__
    return TextBlock(
        text=(
            f'⛔ Luthien withheld {what}: policy "{policy}" could not check it ({detail}). '
            "Nothing unchecked was sent.\n"
        )
    )
