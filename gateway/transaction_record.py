"""`TransactionRecord`: what the pipeline knows about one client call, handed to the taps.

The pipeline fills it as the call proceeds; taps (recorder, live broadcast) receive it at start
and at finish. Response bodies are kept as neutral event lists and assembled into JSON by the
background writer, off the client's path.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field
from typing import Any

from wire.neutral import Event, WireFormat

_RAND_A_BITS, _RAND_B_BITS = 12, 62
# A private generator seeded from the OS, reseeded in every forked worker: nothing that seeds
# the global `random` (a test, a library) can make two workers repeat ids.
_ids_random = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _ids_random.seed(os.urandom(32)))


def new_transaction_id() -> str:
    """A new transaction id: 32 hex characters laid out as a UUIDv7 (RFC 9562).

    The first 48 bits are the Unix time in milliseconds, so ids sort by creation and new rows
    land at the end of the primary-key index; 74 random bits make ids of the same millisecond
    distinct. A private `random.Random` seeded from the OS is enough: ids are not secrets, and
    it is far cheaper than `uuid4()`'s system call on every request.
    """
    rand = _ids_random.getrandbits(_RAND_A_BITS + _RAND_B_BITS)
    value = (
        (time.time_ns() // 1_000_000) << 80
        | 0x7 << 76
        | (rand >> _RAND_B_BITS) << 64
        | 0b10 << 62
        | rand & ((1 << _RAND_B_BITS) - 1)
    )
    return f"{value:032x}"


STATUSES = (
    "completed",
    "blocked",
    "rejected",
    "upstream_error",
    "policy_error",
    "cancelled",
)


@dataclass(slots=True)
class TransactionRecord:
    """One client call, as known so far."""

    id: str
    client_format: WireFormat
    endpoint: str = ""  # the client's path: /v1/messages, /v1/messages/count_tokens, ...
    started_at: float = field(default_factory=time.time)
    first_byte_at: float | None = None
    ended_at: float | None = None
    model: str = ""
    upstream: str = ""
    upstream_model: str = ""
    upstream_format: str = ""  # the upstream's wire format (not client_format: translated)
    stream: bool = False
    status: str = "completed"
    http_status: int = 200
    error: str = ""
    api_key_id: int | None = None
    api_key_name: str = ""
    session_id: str = ""
    policy_name: str = ""
    policy_version: int = 0
    policy_overridden: bool = False  # chosen by the client's X-Luthien-Policy header
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_ms: float | None = None
    overhead_ms: float | None = None
    # Original bodies are kept as the raw bytes received (parsed by the writer, off-path), so a
    # policy editing the decoded request can never change what is recorded as "original".
    request_original: dict[str, Any] | bytes | None = None
    request_final: dict[str, Any] | None = None
    response_original: dict[str, Any] | bytes | None = None
    response_final: dict[str, Any] | None = None
    response_events_original: list[Event] | None = None
    response_events_final: list[Event] | None = None
    decisions: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Metadata without bodies (for live events and logs)."""
        return {
            "id": self.id,
            "client_format": self.client_format,
            "endpoint": self.endpoint,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "model": self.model,
            "upstream": self.upstream,
            "upstream_format": self.upstream_format,
            "stream": self.stream,
            "status": self.status,
            "http_status": self.http_status,
            "api_key_name": self.api_key_name,
            "policy_name": self.policy_name,
            "policy_version": self.policy_version,
            "policy_overridden": self.policy_overridden,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "latency_ms": self.latency_ms,
            "overhead_ms": self.overhead_ms,
        }
