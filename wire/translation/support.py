"""Helpers the format adapters share: refusals naming the field, notes, value checks, and the
OpenAI usage counting both OpenAI formats lift and lower."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from wire.errors import InvalidRequest
from wire.neutral import Block, ToolResultBlock, Usage


def refuse(param: str, why: str) -> NoReturn:
    """400: `param` cannot be translated (`why` says what the target lacks)."""
    raise InvalidRequest(
        f"'{param}' cannot be translated to the upstream's format: {why}. "
        "Remove it, or call a model whose upstream speaks this endpoint's format.",
        param=param,
    )


class Notes:
    """What a translation dropped or filled in, each said once (recorded on the transaction)."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, note: str) -> None:
        """Record `note` unless it was already said."""
        if note not in self.items:
            self.items.append(note)


def number(value: Any, param: str) -> float:
    """`value` as a number (400 naming `param` otherwise)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        refuse(param, f"expected a number, got {value!r}")
    return float(value) if isinstance(value, float) else value


def positive_int(value: Any, param: str) -> int:
    """`value` as an integer ≥ 1 (400 naming `param` otherwise)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        refuse(param, f"expected a positive integer, got {value!r}")
    return value


def string_list(value: Any, param: str) -> list[str]:
    """A string or a list of strings as a list (400 naming `param` otherwise)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    refuse(param, f"expected a string or a list of strings, got {value!r}")


def lift_openai_usage(usage: Usage, details_key: str) -> Usage:
    """An OpenAI-family usage → canonical (Anthropic's counting: input without the cached
    tokens, which go apart in `raw`); `details_key` names the object holding `cached_tokens`
    (`prompt_tokens_details` in Chat Completions, `input_tokens_details` in Responses)."""
    raw = usage.raw or {}
    details = raw.get(details_key)
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    cached = cached if isinstance(cached, int) else 0
    input_tokens = None if usage.input_tokens is None else usage.input_tokens - cached
    counts = {"cache_read_input_tokens": cached} if cached else {}
    return Usage(input_tokens, usage.output_tokens, counts)


def openai_usage_counts(usage: Usage) -> tuple[int, int, int, int]:
    """Canonical usage → (input tokens including cached and cache-written ones, output tokens,
    cached, cache-written): what both OpenAI formats report."""
    raw = usage.raw or {}
    cached = int(raw.get("cache_read_input_tokens") or 0)
    created = int(raw.get("cache_creation_input_tokens") or 0)
    return (usage.input_tokens or 0) + cached + created, usage.output_tokens or 0, cached, created


def image_url(raw: dict[str, Any]) -> str:
    """The URL of an Anthropic image block (a `data:` URL for base64 sources)."""
    source = raw.get("source") or {}
    if source.get("type") == "base64":
        return f"data:{source.get('media_type')};base64,{source.get('data')}"
    return str(source.get("url", ""))


def tool_result_split(
    block: ToolResultBlock, lower_image: Callable[[dict[str, Any]], Block]
) -> tuple[str, list[Block]]:
    """A tool result's text (prefixed `Error: ` for an error) and its images, lowered by
    `lower_image`: OpenAI's tool results carry text only, so images travel beside them."""
    prefix = "Error: " if block.is_error else ""
    if isinstance(block.content, str) or block.content is None:
        return prefix + (block.content or ""), []
    texts = [str(p.get("text", "")) for p in block.content if p.get("type") == "text"]
    images = [lower_image(p) for p in block.content if p.get("type") == "image"]
    return prefix + "\n".join(texts), images
