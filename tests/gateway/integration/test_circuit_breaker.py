"""Circuit breaker per upstream: a dead upstream fails fast in the client's format with a
correct Retry-After, a half-open probe closes (or reopens) it, the state is a metric."""

from __future__ import annotations

import json
from typing import Any

import pytest
from prometheus_client import REGISTRY

from gateway import circuit
from tests.e2e.servers import free_port
from tests.gateway.integration.conftest import Proxy

USER = [{"role": "user", "content": "hi"}]


def _state(upstream: str) -> float | None:
    return REGISTRY.get_sample_value("luthien_upstream_circuit_state", {"upstream": upstream})


@pytest.fixture
def breaker_settings(settings: Any) -> Any:
    settings.LUTHIEN_CIRCUIT_FAILURES = 3
    settings.LUTHIEN_CIRCUIT_WINDOW_S = 60.0
    settings.LUTHIEN_CIRCUIT_OPEN_S = 20.0
    return settings


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The breakers' clock, moved by the test."""
    now = [5000.0]
    monkeypatch.setattr(circuit, "now", lambda: now[0])
    return now


@pytest.fixture
def dead_upstream(breaker_settings: Any) -> str:
    """An extra upstream on a port where nothing listens; returns a model routed to it."""
    from wire.upstreams import reset_upstreams

    breaker_settings.LUTHIEN_EXTRA_UPSTREAMS = f"dead=http://127.0.0.1:{free_port()}/v1"
    reset_upstreams()
    return "dead/some-model"


async def test_dead_upstream_opens_then_fails_fast(
    proxy: Proxy, dead_upstream: str, clock: list[float]
) -> None:
    body = {"model": dead_upstream, "messages": USER, "max_tokens": 5}
    for _ in range(3):
        assert (await proxy.openai(body)).status_code == 502
    assert _state("dead") == 2

    clock[0] += 5.0
    refused = await proxy.openai(body)
    assert refused.status_code == 503
    assert refused["retry-after"] == "15"  # 20 s open, 5 s gone
    error = json.loads(refused.content)["error"]
    assert (error["type"], error["code"]) == ("server_error", "upstream_circuit_open")
    assert "retry in 15 s" in error["message"]


async def test_half_open_probe_that_fails_reopens(
    proxy: Proxy, dead_upstream: str, clock: list[float]
) -> None:
    body = {"model": dead_upstream, "messages": USER}
    for _ in range(3):
        await proxy.openai(body)
    clock[0] += 20.0
    assert circuit.states()["dead"] == "half_open"
    probe = await proxy.openai(body)
    assert probe.status_code == 502  # the probe really went out
    again = await proxy.openai(body)
    assert again.status_code == 503
    assert again["retry-after"] == "20"


async def test_upstream_5xx_opens_and_a_good_probe_closes(
    proxy: Proxy, breaker_settings: Any, clock: list[float]
) -> None:
    failing = {"model": "mock/error?status=503", "messages": USER}
    for _ in range(3):
        assert (await proxy.openai(failing)).status_code == 503
    healthy = {"model": "mock/echo", "messages": USER, "max_tokens": 5}
    refused = await proxy.openai(healthy)
    assert refused.status_code == 503
    assert refused["retry-after"] == "20"
    assert json.loads(refused.content)["error"]["code"] == "upstream_circuit_open"
    anthropic = await proxy.anthropic(healthy)  # the same circuit, the client's own format
    assert anthropic.status_code == 503
    assert anthropic["retry-after"] == "20"
    payload = json.loads(anthropic.content)
    assert payload["type"] == "error"
    assert payload["error"]["type"] == "overloaded_error"

    clock[0] += 20.0
    probe = await proxy.openai(healthy)
    assert probe.status_code == 200
    assert circuit.states()["mock"] == "closed"
    assert _state("mock") == 0
    assert (await proxy.openai(healthy)).status_code == 200


async def test_client_errors_and_spaced_failures_do_not_open(
    proxy: Proxy, breaker_settings: Any, clock: list[float]
) -> None:
    for _ in range(5):  # 4xx is the client's problem, not the upstream's
        assert (
            await proxy.openai({"model": "mock/error?status=400", "messages": USER})
        ).status_code == 400
    failing = {"model": "mock/error?status=500", "messages": USER}
    for _ in range(4):  # failures further apart than the window never add up
        assert (await proxy.openai(failing)).status_code == 500
        clock[0] += 61.0
    assert circuit.states()["mock"] == "closed"


async def test_breakers_off(proxy: Proxy, breaker_settings: Any) -> None:
    breaker_settings.LUTHIEN_CIRCUIT_FAILURES = 0
    failing = {"model": "mock/error?status=500", "messages": USER}
    for _ in range(5):
        assert (await proxy.openai(failing)).status_code == 500
