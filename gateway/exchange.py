"""`Exchange`: one client call in flight — its record, clock and what the pipeline decided."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from gateway import taps
from gateway.timing import RequestClock
from gateway.transaction_record import TransactionRecord, new_transaction_id
from policies.base import Policy
from policies.context import Decision, PolicyContext
from policies.session import SessionView
from wire import tracing
from wire.codecs import Codec, codec_for
from wire.neutral import Event, MessageEnd, Request, WireFormat
from wire.translation import Translation
from wire.upstreams import Route

CLIENT_CLOSED = 499
"""The `http_status` recorded when the client left before its answer was complete (nginx's
convention; nothing is sent with it)."""


@dataclass(slots=True)
class Exchange:
    """State of one call, filled top to bottom by the pipeline."""

    fmt: WireFormat
    headers: dict[str, str]
    record: TransactionRecord = field(init=False)
    clock: RequestClock = field(default_factory=RequestClock)
    codec: Codec = field(init=False)
    request: Request | None = None
    route: Route | None = None
    translation: Translation | None = None  # set when the upstream speaks another format
    policy: Policy | None = None
    ctx: PolicyContext | None = None
    span: Any = None  # the call's tracing span (`wire.tracing`), None while tracing is off

    def __post_init__(self) -> None:
        self.record = TransactionRecord(id=new_transaction_id(), client_format=self.fmt)
        self.codec = codec_for(self.fmt)

    @property
    def upstream_codec(self) -> Codec:
        """The codec of the upstream's wire format."""
        assert self.route is not None
        return codec_for(self.route.format)

    def start_policy(
        self, request: Request, policy: Policy, session: SessionView | None = None
    ) -> PolicyContext:
        """Create the policy context (decisions go to the taps) and announce the start."""
        self.request, self.policy = request, policy
        self.ctx = PolicyContext(
            transaction_id=self.record.id,
            request=request,
            listener=self._decided,
            session_id=self.record.session_id,
            session=session,
            key_name=self.record.api_key_name,
        )
        taps.transaction_started(self.record)
        return self.ctx

    def _decided(self, decision: Decision) -> None:
        taps.transaction_decision(self.record, decision)

    def note_usage(self, events: list[Event]) -> None:
        """Copy the final usage of a response onto the record."""
        for event in reversed(events):
            if isinstance(event, MessageEnd) and event.usage is not None:
                self.record.input_tokens = event.usage.input_tokens
                self.record.output_tokens = event.usage.output_tokens
                return

    def finish(self, *, status: str, http_status: int = 200, error: str = "") -> None:
        """Close the record (once) and hand it to the taps."""
        record, clock = self.record, self.clock
        if record.ended_at is not None:
            return
        if self.translation is not None:
            for note in self.translation.notes.items:
                taps.transaction_decision(record, Decision("translation", "note", note))
        record.status, record.http_status, record.error = status, http_status, error
        record.ended_at = time.time()
        if self.ctx is not None:
            clock.approval_wait = self.ctx.approval_wait_s
        now = time.perf_counter()
        record.latency_ms = round(clock.elapsed_ms(now), 3)
        record.overhead_ms = round(clock.overhead_ms(now), 3)
        if clock.first_byte is not None:
            record.first_byte_at = record.started_at + (clock.first_byte - clock.started)
        taps.transaction_finished(record)
        if self.span is not None:
            span, self.span = self.span, None
            tracing.end_root(
                span,
                {
                    "http.response.status_code": http_status,
                    "luthien.status": status,
                    "luthien.transaction_id": record.id,
                    "luthien.model": record.model,
                    "luthien.upstream": record.upstream,
                    "luthien.overhead_ms": record.overhead_ms,
                },
                error=error,
            )

    def outcome(self) -> str:
        """`policy_error` when a fail-closed policy failed (content was withheld), `blocked` when
        a policy blocked something, else `completed`."""
        if self.ctx is None:
            return "completed"
        decisions = self.ctx.decisions
        if any(d.action == "error" and not d.details.get("fail_open") for d in decisions):
            return "policy_error"
        return "blocked" if self.ctx.blocked else "completed"
