"""Template filters of the activity pages. They return plain strings: autoescape applies."""

from __future__ import annotations

import json
from typing import Any

from django import template

from gateway.transaction_record import STATUSES
from wire.routes import pass_through_endpoints

register = template.Library()


@register.filter
def duration_ms(value: float | None) -> str:
    """Milliseconds as "12.3 ms" or "1.24 s"; a dash when unknown."""
    if value is None:
        return "–"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


@register.filter
def pretty_json(value: Any) -> str:
    """JSON indented for a `<pre>` block (escaped by the template like any text)."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


@register.filter
def status_class(value: str) -> str:
    """The CSS class of a status badge (only known statuses make a class)."""
    return f"status-{value}" if value in STATUSES else "status-unknown"


@register.filter
def tokens(row: Any) -> str:
    """Input → output tokens of a transaction; a dash when unknown."""
    if row.input_tokens is None and row.output_tokens is None:
        return "–"

    def show(count: int | None) -> str:
        return "?" if count is None else str(count)

    return f"{show(row.input_tokens)} → {show(row.output_tokens)}"


@register.filter
def offset_ms(moment: Any, start: Any) -> str:
    """How long after `start` a moment is, as "+12 ms"."""
    if moment is None or start is None:
        return ""
    return f"+{(moment - start).total_seconds() * 1000:.0f} ms"


@register.filter
def pass_through_tag(endpoint: str) -> str:
    """The short name of a pass-through endpoint (no policy ran), e.g. `count_tokens` or
    `responses/{id}/cancel`; empty for the proxy endpoints."""
    if endpoint not in pass_through_endpoints():
        return ""
    if "{id}" in endpoint:
        return endpoint.removeprefix("/v1/")
    return endpoint.rsplit("/", 1)[-1]
