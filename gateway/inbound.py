"""What the pipeline needs from an incoming HTTP request, whoever parsed it.

Django's `HttpRequest` fits this protocol (the ninja endpoints pass it as is); the ASGI fast
lane (`gateway.asgi_lane`) builds a `RawRequest` without Django's request machinery.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


class InboundRequest(Protocol):
    """An HTTP request as the pipeline sees it."""

    @property
    def path(self) -> str:
        """The URL path."""
        ...

    @property
    def headers(self) -> Mapping[str, str]:
        """Headers; lookups by lower-case name must work."""
        ...

    @property
    def body(self) -> bytes:
        """The raw body."""
        ...


@dataclass(frozen=True, slots=True)
class RawRequest:
    """A request read straight from ASGI: lower-case header names, the body as bytes."""

    path: str
    headers: Mapping[str, str]
    body: bytes
