"""Rate limits: one bucket per key shared by every worker through Redis, per-key limits from
admin, a per-worker fallback while Redis is down, and a Retry-After that is the real wait."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from prometheus_client import REGISTRY

from gateway.keys import ClientIdentity, api_key_create
from gateway.rate_limit import RateLimiter, rate_limiter
from luthien_site.health import rate_limit_component
from tests.e2e.servers import free_port
from tests.gateway.integration.conftest import Proxy
from wire.errors import RateLimited

USER = [{"role": "user", "content": "hi"}]


def _seconds_in(message: str) -> int:
    found = re.search(r"retry in (\d+) s", message)
    assert found, message
    return int(found.group(1))


async def test_two_workers_share_one_bucket_in_redis(redis_url: str, settings: Any) -> None:
    settings.REDIS_URL = redis_url
    settings.LUTHIEN_RATE_LIMIT_PER_MINUTE = 3
    settings.LUTHIEN_RATE_LIMIT_BURST = 3
    first, second = RateLimiter(), RateLimiter()  # as two worker processes would hold them
    who = ClientIdentity(key_id=1, name="shared")
    await first.check(who)
    await second.check(who)
    await first.check(who)
    with pytest.raises(RateLimited) as refused:
        await second.check(who)
    # 3 per minute: the next token is about 20 s away; the header says the message's number
    seconds = refused.value.retry_after_s
    assert 18 <= seconds <= 20
    assert refused.value.headers() == {"Retry-After": str(seconds)}
    assert _seconds_in(refused.value.message) == seconds
    assert not first.fallback and not second.fallback
    await first.aclose()
    await second.aclose()


async def test_key_limit_from_admin_and_real_wait_in_both_formats(
    transactional_db: None, settings: Any
) -> None:
    settings.LUTHIEN_RATE_LIMIT_PER_MINUTE = 0  # no default: only this key is limited
    _, secret = await _create_key("limited", rate_limit_per_minute=2, rate_limit_burst=1)
    proxy = Proxy(secret)
    body = {"model": "mock/echo", "messages": USER, "max_tokens": 5}
    assert (await proxy.openai(body)).status_code == 200
    limited = await proxy.openai(body)
    assert limited.status_code == 429
    error = json.loads(limited.content)["error"]
    assert error["type"] == "rate_limit_error"
    assert 29 <= int(limited["retry-after"]) <= 30  # 2 per minute: 30 s to the next token
    assert _seconds_in(error["message"]) == int(limited["retry-after"])
    anthropic = await proxy.anthropic(body)
    assert anthropic.status_code == 429
    payload = json.loads(anthropic.content)
    assert payload["error"]["type"] == "rate_limit_error"
    assert _seconds_in(payload["error"]["message"]) == int(anthropic["retry-after"])


async def test_a_key_with_limit_zero_is_unlimited(transactional_db: None, settings: Any) -> None:
    settings.LUTHIEN_RATE_LIMIT_PER_MINUTE = 1
    _, secret = await _create_key("unlimited", rate_limit_per_minute=0)
    proxy = Proxy(secret)
    for _ in range(3):
        reply = await proxy.openai({"model": "mock/echo", "messages": USER})
        assert reply.status_code == 200


async def test_without_redis_the_header_is_the_real_wait(settings: Any) -> None:
    settings.REDIS_URL = ""
    settings.LUTHIEN_RATE_LIMIT_PER_MINUTE = 3
    settings.LUTHIEN_RATE_LIMIT_BURST = 1
    limiter = RateLimiter()
    who = ClientIdentity(key_id=1, name="local")
    await limiter.check(who)
    with pytest.raises(RateLimited) as refused:
        await limiter.check(who)
    assert 19 <= refused.value.retry_after_s <= 20  # not 1, as the header said before
    assert _seconds_in(refused.value.message) == refused.value.retry_after_s
    assert limiter.backend() == "local"


async def test_redis_down_falls_back_per_worker_then_recovers(
    redis_url: str, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.LUTHIEN_RATE_LIMIT_PER_MINUTE = 60
    settings.LUTHIEN_RATE_LIMIT_BURST = 1
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    limiter = rate_limiter()
    who = ClientIdentity(key_id=1, name="fallback")
    with caplog.at_level(logging.ERROR, logger="gateway.rate_limit"):
        await limiter.check(who)  # still served, from this worker's bucket
    assert limiter.fallback and limiter.backend() == "fallback"
    assert "falling back to per-worker limits" in caplog.text
    assert REGISTRY.get_sample_value("luthien_rate_limit_fallback") == 1
    with pytest.raises(RateLimited):
        await limiter.check(who)  # the per-worker bucket still limits

    component = rate_limit_component()
    assert component.status == "degraded"
    assert "per worker" in component.reason

    settings.REDIS_URL = redis_url  # Redis is back: the next check after the pause uses it
    limiter._redis_retry_at = 0.0
    await limiter.check(ClientIdentity(key_id=2, name="fallback-2"))
    assert not limiter.fallback
    assert REGISTRY.get_sample_value("luthien_rate_limit_fallback") == 0
    await limiter.aclose()


async def _create_key(name: str, **limits: Any) -> tuple[Any, str]:
    from asgiref.sync import sync_to_async

    return await sync_to_async(api_key_create)(name=name, **limits)
