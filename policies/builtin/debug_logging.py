"""`debug-logging`: log what passes through at DEBUG on logger `policies.debug`; change nothing.

It runs in PASS_THROUGH mode so it never delays anything, which means the engine does not show
it tool calls (only modes that hold tool calls see them): it logs the request, every streamed
text piece, the end of each text block, and a summary at the end of the response (text pieces,
characters, and the decisions other policies recorded so far, which include their tool-call
verdicts). The `policies` logger follows `LOG_LEVEL`; set `LOG_LEVEL=DEBUG` to see the lines.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pydantic import Field

from policies.base import Policy, PolicyConfigSchema, StreamingMode
from policies.context import PolicyContext
from policies.registry import register
from wire.neutral import Block, Request

logger = logging.getLogger("policies.debug")


@dataclass(slots=True)
class _Counts:
    """One request's tallies for the end-of-response summary."""

    pieces: int = 0
    chars: int = 0
    blocks: int = 0


@register
class DebugLoggingPolicy(Policy):
    """Logs the request, streamed text and the response end; passes everything unchanged."""

    name = "debug-logging"
    description = "Log the request, streamed text and response end at DEBUG; change nothing."
    streaming_mode = StreamingMode.PASS_THROUGH
    example_config = {"max_chars": 500}

    class Config(PolicyConfigSchema):
        max_chars: int = Field(
            default=500,
            ge=0,
            description="Longest text logged per line (longer text is cut and its length "
            "noted); 0 logs only sizes.",
        )

    def _clip(self, text: str) -> str:
        assert isinstance(self.config, DebugLoggingPolicy.Config)
        limit = self.config.max_chars
        return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"

    def _counts(self, ctx: PolicyContext) -> _Counts:
        return ctx.state_for(self, _Counts)

    async def on_request(self, request: Request, ctx: PolicyContext) -> Request:
        """Log the request's shape and its latest user text; return it unchanged."""
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "[%s] request: format=%s model=%s stream=%s messages=%d tools=%d user=%r",
                ctx.transaction_id,
                request.format,
                request.model,
                request.stream,
                len(request.messages),
                len(request.tools or []),
                self._clip(request.last_user_text()),
            )
        return request

    def on_text_delta(self, text: str, ctx: PolicyContext) -> str:
        """Log one streamed text piece; return the same object (nothing changes, no hold)."""
        counts = self._counts(ctx)
        counts.pieces += 1
        counts.chars += len(text)
        logger.debug("[%s] text: %r", ctx.transaction_id, self._clip(text))
        return text

    def on_text_end(self, ctx: PolicyContext) -> str:
        """Log the end of a text block; nothing was held, so return ""."""
        self._counts(ctx).blocks += 1
        logger.debug("[%s] text block end", ctx.transaction_id)
        return ""

    async def on_response_end(self, ctx: PolicyContext) -> list[Block]:
        """Log a summary of the response and the decisions so far; append nothing."""
        if logger.isEnabledFor(logging.DEBUG):
            counts = self._counts(ctx)
            decisions = [f"{d.policy}:{d.action}" for d in ctx.decisions]
            logger.debug(
                "[%s] response end: %d text blocks, %d pieces, %d chars, decisions=%s",
                ctx.transaction_id,
                counts.blocks,
                counts.pieces,
                counts.chars,
                decisions,
            )
        return []
