"""Translation between wire formats: a client of one format reaching an upstream of another.

    client body ─► decode (client codec) ─► policy ─► lift (client adapter) ─► Canonical
                ─► lower (upstream adapter) ─► encode (upstream codec) ─► upstream
    upstream events ─► decode (upstream codec) ─► EventTranslator ─► policy ─► encode (client)

`translation_for(client, upstream)` gives None when the formats are the same (the pass-through
path is untouched and pays nothing) and a `Translation` otherwise. A format takes part by
registering a `FormatAdapter` in `ADAPTERS` (one module per format: lift its request to the
canonical form, lower the canonical form to its request, recount usage); pairs are never written
by hand. What a translation drops or fills in is collected in `Translation.notes` and recorded
on the transaction; what it cannot carry is a 400 naming the field (`InvalidRequest`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from wire.errors import GatewayError, InvalidRequest, TranslatedUpstreamError, UpstreamError
from wire.neutral import Request, Usage, WireFormat
from wire.routes import ROUTES
from wire.translation import chat_completions, messages, responses, responses_lower
from wire.translation.canonical import Canonical, ClientCall
from wire.translation.events import EventTranslator
from wire.translation.support import Notes


@dataclass(frozen=True, slots=True)
class FormatAdapter:
    """What a wire format provides to take part in translation."""

    lift_request: Callable[[Request, Notes], Canonical]
    lower_request: Callable[[Canonical, Notes], Request]
    lift_usage: Callable[[Usage], Usage]
    lower_usage: Callable[[Usage], Usage]


ADAPTERS: dict[str, FormatAdapter] = {
    "openai": FormatAdapter(
        chat_completions.lift_request,
        chat_completions.lower_request,
        chat_completions.lift_usage,
        chat_completions.lower_usage,
    ),
    "anthropic": FormatAdapter(
        messages.lift_request,
        messages.lower_request,
        messages.lift_usage,
        messages.lower_usage,
    ),
    "responses": FormatAdapter(
        responses.lift_request,
        responses_lower.lower_request,
        responses.lift_usage,
        responses.lower_usage,
    ),
}


@dataclass(slots=True)
class Translation:
    """One call's translation from the client's format to the upstream's and back."""

    client: WireFormat
    upstream: WireFormat
    notes: Notes = field(default_factory=Notes)
    call_names: dict[str, ClientCall] = field(default_factory=dict)
    """Tool names the client's format could not send as they are (see `Canonical.call_names`),
    set by `request`, read back by the answer's `EventTranslator`."""

    def request(self, request: Request) -> Request:
        """The client's (policy-checked) request, for the upstream; 400 for what cannot go."""
        canonical = ADAPTERS[self.client].lift_request(request, self.notes)
        self.call_names = canonical.call_names
        return ADAPTERS[self.upstream].lower_request(canonical, self.notes)

    def events(self) -> EventTranslator:
        """A translator for one response's events (upstream → client)."""
        upstream, client = ADAPTERS[self.upstream], ADAPTERS[self.client]
        return EventTranslator(
            self.client, upstream.lift_usage, client.lower_usage, self.notes, self.call_names
        )

    def error(self, error: UpstreamError) -> GatewayError:
        """An upstream error status, re-said in the client's error shape (same status)."""
        message, param = upstream_error_message(error.body)
        return TranslatedUpstreamError(error.upstream_status, message, param=param)


def translation_for(client: WireFormat, upstream: WireFormat) -> Translation | None:
    """None for the same format; a `Translation` for a pair of registered formats."""
    if client == upstream:
        return None
    if client not in ADAPTERS or upstream not in ADAPTERS:
        endpoints = [r.path for r in ROUTES if r.handler == "proxy" and r.fmt == upstream]
        raise InvalidRequest(
            f"this model's upstream speaks the {upstream} format, which the gateway cannot "
            f"translate {client} requests to yet; call it through {' or '.join(endpoints)}",
            param="model",
        )
    return Translation(client, upstream)


def upstream_error_message(body: bytes) -> tuple[str, str | None]:
    """The message (and OpenAI `param`) of an error body in either format, else its text."""
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        text = body.decode("utf-8", "replace").strip()
        return (text[:500] or "the upstream returned an error without a body"), None
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        param = error.get("param")
        return error["message"], param if isinstance(param, str) else None
    if isinstance(error, str):
        return error, None
    return orjson.dumps(data).decode()[:500], None


__all__ = ["ADAPTERS", "EventTranslator", "FormatAdapter", "Translation", "translation_for"]
