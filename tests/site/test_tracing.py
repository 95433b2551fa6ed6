"""Optional OpenTelemetry tracing: one trace per client call with its auth, policy, upstream
and judge spans; nothing at all while it is off."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from policies.judge_client import JudgeConfig, judge_ask
from tests.e2e.servers import free_port
from tests.gateway.integration.conftest import Proxy, read_stream
from wire import tracing

USER = [{"role": "user", "content": "hi"}]


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_provider(provider)
    yield exporter
    tracing.use_provider(None)


def _by_name(exporter: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    return {span.name: span for span in exporter.get_finished_spans()}


def _child_of(span: ReadableSpan, parent: ReadableSpan) -> bool:
    assert span.parent is not None and parent.context is not None
    return span.parent.span_id == parent.context.span_id


async def test_a_call_is_one_trace(proxy: Proxy, spans: InMemorySpanExporter) -> None:
    reply = await proxy.openai({"model": "mock/echo", "messages": USER})
    assert reply.status_code == 200
    found = _by_name(spans)
    root = found["luthien.call"]
    assert root.parent is None
    assert root.attributes is not None
    assert root.attributes["luthien.transaction_id"] == reply["x-luthien-transaction-id"]
    assert root.attributes["http.response.status_code"] == 200
    assert root.attributes["luthien.status"] == "completed"
    for name in ("luthien.auth", "luthien.policy.request", "luthien.upstream"):
        assert _child_of(found[name], root), name
    assert found["luthien.upstream"].attributes == {"luthien.upstream": "mock"}


async def test_a_stream_ends_its_span_when_the_stream_ends(
    proxy: Proxy, spans: InMemorySpanExporter
) -> None:
    reply = await proxy.anthropic(
        {"model": "mock/text?chunks=5", "messages": USER, "max_tokens": 5, "stream": True}
    )
    await read_stream(reply)
    root = _by_name(spans)["luthien.call"]
    assert root.attributes is not None
    assert root.attributes["luthien.status"] == "completed"
    assert root.end_time is not None


async def test_an_upstream_error_marks_the_span(proxy: Proxy, spans: InMemorySpanExporter) -> None:
    reply = await proxy.openai({"model": "mock/error?status=502", "messages": USER})
    assert reply.status_code == 502
    root = _by_name(spans)["luthien.call"]
    assert root.attributes is not None
    assert root.attributes["http.response.status_code"] == 502
    assert not root.status.is_ok


async def test_a_judge_call_is_a_child_of_the_current_span(
    transactional_db: None, spans: InMemorySpanExporter
) -> None:
    config = JudgeConfig.model_validate({"model": "mock/judge?p=0.1"})
    with tracing.span("outer"):
        await judge_ask(config, system="judge", user="ls")
    found = _by_name(spans)
    assert _child_of(found["luthien.judge"], found["outer"])


def test_off_means_no_spans_and_one_shared_no_op() -> None:
    tracing.use_provider(None)
    assert not tracing.enabled()
    assert tracing.span("a") is tracing.span("b")
    assert tracing.start_root("luthien.call", {}) is None
    assert tracing.current(None) is tracing.span("c")


def test_configured_from_the_endpoint(settings: Any) -> None:
    assert tracing.configure_tracing("") is False
    assert tracing.configure_tracing(f"http://127.0.0.1:{free_port()}") is True
    assert tracing.enabled()
    tracing.shutdown_tracing()
    assert not tracing.enabled()
