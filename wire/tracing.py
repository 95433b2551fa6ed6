"""Optional OpenTelemetry tracing of the gateway's own work.

Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set (and the `tracing` extra is installed): then
`configure_tracing()` (lifespan start-up) installs a tracer provider exporting OTLP over HTTP,
service name `OTEL_SERVICE_NAME` (default `luthien`), and every `OTEL_*` variable the SDK
knows applies. While off, nothing of OpenTelemetry is imported and every helper returns one
shared no-op object: a call costs a global read and a function call.

Spans: `luthien.call` (one per client call, ended when its record is finished, streams
included), children `luthien.auth`, `luthien.policy.request`, `luthien.upstream`;
`luthien.judge` under whatever span is current; `luthien.record_batch` in the recorder's thread.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

logger = logging.getLogger("wire.tracing")

_NOOP: AbstractContextManager[None] = nullcontext()
_tracer: Any = None
_provider: Any = None


def enabled() -> bool:
    """Whether spans are being recorded."""
    return _tracer is not None


def configure_tracing(endpoint: str, service_name: str = "luthien") -> bool:
    """Start exporting spans to `endpoint` (OTLP/HTTP); False (and a log line) when the
    OpenTelemetry packages are missing. Does nothing for an empty endpoint."""
    if not endpoint or _tracer is not None:
        return _tracer is not None
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        logger.error(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed "
            "(pip install 'luthien[tracing]'): tracing stays off"
        )
        return False
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    use_provider(provider)
    return True


def use_provider(provider: Any) -> None:
    """Record spans with `provider` (a `TracerProvider`; tests pass one with an in-memory
    exporter); None turns tracing off."""
    global _tracer, _provider
    _provider = provider
    _tracer = None if provider is None else provider.get_tracer("luthien")


def shutdown_tracing() -> None:
    """Export what is buffered and stop (lifespan shutdown)."""
    provider = _provider
    use_provider(None)
    if provider is not None:
        provider.shutdown()


def start_root(name: str, attributes: Mapping[str, Any]) -> Any:
    """A new span that outlives the current task (a client call); None while off. End it with
    `end_root`."""
    if _tracer is None:
        return None
    return _tracer.start_span(name, attributes=dict(attributes))


def end_root(root: Any, attributes: Mapping[str, Any], *, error: str = "") -> None:
    """Set the final attributes of a span from `start_root` and end it."""
    if root is None:
        return
    from opentelemetry.trace import Status, StatusCode

    root.set_attributes({k: v for k, v in attributes.items() if v is not None})
    if error:
        root.set_status(Status(StatusCode.ERROR, error[:200]))
    root.end()


def current(root: Any) -> AbstractContextManager[Any]:
    """Make `root` the current span inside the block (spans started there become children)."""
    if root is None:
        return _NOOP
    from opentelemetry.trace import use_span

    return use_span(root, end_on_exit=False)


def span(name: str, *, parent: Any = None, **attributes: Any) -> AbstractContextManager[Any]:
    """A child span of `parent` (else of the current span) for the block; a no-op while off."""
    tracer = _tracer
    if tracer is None:
        return _NOOP
    context = None
    if parent is not None:
        from opentelemetry.trace import set_span_in_context

        context = set_span_in_context(parent)
    return tracer.start_as_current_span(name, context=context, attributes=attributes)
