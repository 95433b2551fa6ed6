"""Real proxied requests: their lifecycle reaches the group when someone watches (and costs
nothing beyond a counter when nobody does), and a bad layer changes nothing."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from channels.layers import get_channel_layer

from activity.audience import audience
from activity.broadcast import broadcaster
from activity.live_events import GROUP
from policies.active import active_from_spec
from policies.policy_file import PolicySpec
from policies.runtime import policy_runtime
from tests.activity.live.conftest import layer_settings
from tests.activity.live.layers import RecordingLayer
from tests.gateway.integration.conftest import Proxy, read_stream
from tests.gateway.integration.sse_helpers import openai_stream_text

USER = [{"role": "user", "content": "hello there"}]


def use_string_replace() -> None:
    """Activate a policy that rewrites the request and the response (two decisions)."""
    spec = PolicySpec(
        name="swap-words",
        policy_class="string-replace",
        config={"replacements": {"hello": "howdy", "said": "typed"}, "apply_to_request": True},
    )
    policy_runtime().set(active_from_spec(spec, version=7, source="database"))


async def _receive_until_finished(layer: Any, channel: str, tx_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    while True:
        async with asyncio.timeout(5):
            message = await layer.receive(channel)
        event = message["event"]
        if event["id"] != tx_id:
            continue
        assert message["type"] == "activity." + event["type"].split(".")[1]
        events.append(event)
        if event["type"] == "transaction.finished":
            return events


@pytest.mark.parametrize("stream", [False, True])
async def test_a_proxied_request_is_broadcast(proxy: Proxy, stream: bool) -> None:
    use_string_replace()
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(GROUP, channel)
    audience().joined(channel)
    response = await proxy.openai({"model": "mock/echo", "messages": USER, "stream": stream})
    assert response.status_code == 200
    if stream:
        await read_stream(response)
    tx_id = response["x-luthien-transaction-id"]
    events = await _receive_until_finished(layer, channel, tx_id)
    kinds = [e["type"] for e in events]
    assert kinds == [
        "transaction.started",
        "transaction.decision",
        "transaction.decision",
        "transaction.finished",
    ]
    started, finished = events[0], events[-1]
    assert started["model"] == "mock/echo" and started["key"] == "live-client"
    assert started["policy"] == "swap-words" and started["policy_version"] == 7
    assert started["client_format"] == "openai" and started["stream"] is stream
    assert [e["action"] for e in events[1:3]] == ["rewrote", "rewrote"]
    assert finished["status"] == "completed" and finished["decisions"] == 2
    assert finished["preview"] == "You typed: howdy there"
    assert finished["latency_ms"] >= finished["overhead_ms"] >= 0


@pytest.mark.parametrize("stream", [False, True])
async def test_nobody_watching_costs_a_counter(proxy: Proxy, settings: Any, stream: bool) -> None:
    use_string_replace()
    settings.CHANNEL_LAYERS = layer_settings("tests.activity.live.layers.RecordingLayer")
    RecordingLayer.sent = []
    response = await proxy.openai({"model": "mock/echo", "messages": USER, "stream": stream})
    assert response.status_code == 200
    if stream:
        await read_stream(response)
    await asyncio.sleep(0.05)
    assert RecordingLayer.sent == []
    stats = broadcaster().stats()
    assert stats["unwatched"] == 4  # started, two decisions, finished
    assert stats["sent"] == stats["skipped"] == 0


UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


@pytest.mark.parametrize(
    ("layers", "redis_url"),
    [
        (layer_settings("tests.activity.live.layers.HangingLayer"), ""),
        (layer_settings("tests.activity.live.layers.FailingLayer"), ""),
        (
            layer_settings("channels_redis.core.RedisChannelLayer", hosts=[UNREACHABLE_REDIS]),
            UNREACHABLE_REDIS,  # the viewers' presence is in the same unreachable Redis
        ),
    ],
    ids=["hanging", "failing", "redis-unreachable"],
)
async def test_a_broken_layer_never_slows_the_proxy(
    proxy: Proxy, settings: Any, layers: dict[str, Any], redis_url: str
) -> None:
    settings.CHANNEL_LAYERS = layers
    settings.REDIS_URL = redis_url
    audience().joined("a-viewer")  # as the consumer does (the layer itself may be down)
    await proxy.openai({"model": "mock/echo", "messages": USER})  # warm-up (imports, key cache)
    durations = []
    for stream in (False, True, False):
        started = time.perf_counter()
        response = await proxy.openai({"model": "mock/echo", "messages": USER, "stream": stream})
        if stream:
            text = openai_stream_text(await read_stream(response))[0]
        else:
            text = response.json()["choices"][0]["message"]["content"]
        durations.append(time.perf_counter() - started)
        assert response.status_code == 200
        assert text == "You said: hello there"
    assert max(durations) < 0.5, durations
    await asyncio.sleep(1.2)  # the hanging layer's first send times out after 1 s
    stats = broadcaster().stats()
    assert stats["sent"] == 0 and stats["errors"] >= 1
    audience().left("a-viewer")
    await audience().aclose()


async def test_broadcast_off_sends_nothing(proxy: Proxy, settings: Any) -> None:
    settings.LUTHIEN_BROADCAST = False
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(GROUP, channel)
    audience().joined(channel)
    response = await proxy.openai({"model": "mock/echo", "messages": USER})
    assert response.status_code == 200
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await layer.receive(channel)
    assert broadcaster().stats() == {
        "sent": 0,
        "dropped": 0,
        "errors": 0,
        "skipped": 0,
        "unwatched": 0,
    }
