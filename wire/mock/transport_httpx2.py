"""`MockUpstreamTransport` for `httpx2` clients (the `anthropic` SDK accepts only those).

Only importable where `httpx2` is installed (it comes with the `anthropic` and `openai` SDKs).
"""

from __future__ import annotations

from types import ModuleType
from typing import ClassVar

import httpx2

from wire.mock.transport import MockStreamMixin, MockTransportMixin


class _Httpx2MockStream(MockStreamMixin, httpx2.AsyncByteStream):
    http_module: ClassVar[ModuleType] = httpx2


class Httpx2MockUpstreamTransport(MockTransportMixin, httpx2.AsyncBaseTransport):
    """`httpx2.AsyncClient(transport=Httpx2MockUpstreamTransport())` talks to the mock."""

    http_module: ClassVar[ModuleType] = httpx2
    stream_class: ClassVar[type[MockStreamMixin]] = _Httpx2MockStream
