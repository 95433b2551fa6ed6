"""Every rejection in the client's own error format, and what was recorded."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from activity.models import Transaction
from activity.recorder import recorder
from tests.gateway.integration.conftest import Proxy, read_stream
from tests.gateway.integration.sse_helpers import sse_events
from wire.upstreams import reset_upstreams

USER = [{"role": "user", "content": "hi"}]


async def _flush() -> None:
    await sync_to_async(recorder().flush)(10)


async def _row(response: Any) -> Transaction:
    await _flush()
    return await Transaction.objects.aget(id=response["x-luthien-transaction-id"])


def _openai_error(response: Any) -> dict[str, Any]:
    body = json.loads(response.content)
    assert set(body) == {"error"}
    assert {"message", "type", "param", "code"} <= set(body["error"])
    return body["error"]


def _anthropic_error(response: Any) -> dict[str, Any]:
    body = json.loads(response.content)
    assert body["type"] == "error"
    return body["error"]


async def test_invalid_json_is_400_in_both_formats(proxy: Proxy) -> None:
    response = await proxy.openai(b"{not json")
    assert response.status_code == 400
    assert _openai_error(response)["type"] == "invalid_request_error"
    response = await proxy.anthropic(b"[1, 2]")
    assert response.status_code == 400
    assert _anthropic_error(response)["type"] == "invalid_request_error"
    assert (await _row(response)).status == "rejected"


async def test_schema_errors_are_the_upstreams_and_relayed(proxy: Proxy) -> None:
    response = await proxy.anthropic({"model": "mock/echo", "messages": USER})  # no max_tokens
    assert response.status_code == 400
    assert "max_tokens: Field required" in _anthropic_error(response)["message"]
    assert (await _row(response)).status == "upstream_error"
    response = await proxy.openai({"model": "mock/echo", "messages": "nope"})
    assert response.status_code == 400
    assert "messages: field required" in _openai_error(response)["message"]


async def test_what_the_gateway_needs_is_checked_by_the_gateway(proxy: Proxy) -> None:
    response = await proxy.anthropic({"messages": USER, "max_tokens": 5})
    assert response.status_code == 400
    assert _anthropic_error(response)["message"] == (
        "'model' is required and must be a non-empty string."
    )
    response = await proxy.openai({"model": "mock/echo", "messages": USER, "stream": "yes"})
    assert response.status_code == 400
    assert "'stream' must be true or false" in _openai_error(response)["message"]
    response = await proxy.openai({"model": "mock/echo", "messages": USER, "n": 2})
    assert response.status_code == 400
    assert _openai_error(response)["param"] == "n"
    assert "Send one request per choice" in _openai_error(response)["message"]


async def test_bad_key_is_401_and_not_recorded(proxy: Proxy) -> None:
    proxy.key = "lk-wrong"
    response = await proxy.openai({"model": "mock/echo", "messages": USER})
    assert response.status_code == 401
    assert _openai_error(response)["code"] == "invalid_api_key"
    response = await proxy.anthropic({"model": "mock/echo", "max_tokens": 5, "messages": USER})
    assert response.status_code == 401
    assert _anthropic_error(response)["type"] == "authentication_error"
    await _flush()
    assert await Transaction.objects.acount() == 0


async def test_missing_key_is_401(proxy: Proxy) -> None:
    response = await proxy.client.post(
        "/v1/chat/completions", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 401


async def test_unknown_mock_model_is_404_passed_through(proxy: Proxy) -> None:
    response = await proxy.anthropic({"model": "mock/nope", "max_tokens": 5, "messages": USER})
    assert response.status_code == 404
    assert _anthropic_error(response)["type"] == "not_found_error"
    assert (await _row(response)).status == "upstream_error"


async def test_cross_format_route_is_a_clear_400(proxy: Proxy) -> None:
    response = await proxy.openai({"model": "claude-sonnet-4-5", "messages": USER})
    assert response.status_code == 400
    assert "/v1/messages" in _openai_error(response)["message"]


async def test_body_over_limit_is_413(proxy: Proxy, settings: Any) -> None:
    settings.LUTHIEN_MAX_BODY_BYTES = 200
    big = {"model": "mock/echo", "messages": [{"role": "user", "content": "x" * 500}]}
    response = await proxy.openai(big)
    assert response.status_code == 413
    response = await proxy.anthropic({**big, "max_tokens": 5})
    assert response.status_code == 413
    assert _anthropic_error(response)["type"] == "request_too_large"
    assert (await _row(response)).status == "rejected"


async def test_too_many_messages_is_400(proxy: Proxy, settings: Any) -> None:
    settings.LUTHIEN_MAX_MESSAGES = 3
    messages = [{"role": "user", "content": str(i)} for i in range(4)]
    response = await proxy.openai({"model": "mock/echo", "messages": messages})
    assert response.status_code == 400
    assert _openai_error(response)["code"] == "too_many_messages"


async def test_anthropic_529_stays_529(proxy: Proxy) -> None:
    body = {"model": "mock/error?status=529", "max_tokens": 5, "messages": USER}
    response = await proxy.anthropic(body)
    assert response.status_code == 529
    assert _anthropic_error(response)["type"] == "overloaded_error"
    row = await _row(response)
    assert row.status == "upstream_error" and row.http_status == 529


async def test_openai_upstream_500_passes_through(proxy: Proxy) -> None:
    response = await proxy.openai(
        {"model": "mock/error?status=500", "messages": USER, "stream": True}
    )
    assert response.status_code == 500
    assert _openai_error(response)


async def test_upstream_unreachable_is_502(proxy: Proxy, settings: Any) -> None:
    settings.LUTHIEN_MOCK_UPSTREAM = "http://127.0.0.1:9"
    reset_upstreams()
    response = await proxy.openai({"model": "mock/echo", "messages": USER})
    assert response.status_code == 502
    assert "unreachable" in _openai_error(response)["message"]
    assert (await _row(response)).status == "upstream_error"


async def test_upstream_timeout_is_504(proxy: Proxy, settings: Any) -> None:
    settings.LUTHIEN_UPSTREAM_READ_TIMEOUT_S = 0.2
    from wire.http_client import close_http_client

    await close_http_client()
    body = {"model": "mock/echo?ttfb_ms=1500", "max_tokens": 5, "messages": USER}
    response = await proxy.anthropic(body)
    await close_http_client()
    assert response.status_code == 504
    assert _anthropic_error(response)["type"] == "timeout_error"


@pytest.mark.parametrize("fmt", ["openai", "anthropic"])
async def test_midstream_error_sends_error_event_then_ends(proxy: Proxy, fmt: str) -> None:
    body = {
        "model": "mock/midstream-error?chunks=2",
        "messages": USER,
        "stream": True,
        "max_tokens": 5,
    }
    response = await (proxy.openai(body) if fmt == "openai" else proxy.anthropic(body))
    assert response.status_code == 200
    events = sse_events(await read_stream(response))
    if fmt == "openai":
        assert events[-1][1] == "[DONE]"
        assert "error" in json.loads(events[-2][1])
    else:
        assert events[-1][0] == "error"
    assert (await _row(response)).status == "upstream_error"


@pytest.mark.parametrize("fmt", ["openai", "anthropic"])
async def test_upstream_connection_drop_midstream(proxy: Proxy, fmt: str) -> None:
    body = {
        "model": "mock/text?chunks=20&abort_after=4",
        "messages": USER,
        "stream": True,
        "max_tokens": 5,
    }
    response = await (proxy.openai(body) if fmt == "openai" else proxy.anthropic(body))
    events = sse_events(await read_stream(response))
    error_frames = [d for n, d in events if n == "error" or '"error"' in d]
    assert error_frames, events
    assert (await _row(response)).status == "upstream_error"


async def test_policy_override_needs_permission(plain_key: str) -> None:
    proxy = Proxy(plain_key)
    response = await proxy.openai(
        {"model": "mock/echo", "messages": USER}, **{"x-luthien-policy": "anything"}
    )
    assert response.status_code == 403
    assert _openai_error(response)["type"] == "permission_error"


async def test_rate_limit_is_429_per_key_and_recorded(
    proxy: Proxy, plain_key: str, settings: Any
) -> None:
    settings.LUTHIEN_RATE_LIMIT_PER_MINUTE = 2
    body = {"model": "mock/echo", "messages": USER, "max_tokens": 5}
    assert (await proxy.openai(body)).status_code == 200
    assert (await proxy.openai(body)).status_code == 200
    limited = await proxy.anthropic(body)
    assert limited.status_code == 429
    assert _anthropic_error(limited)["type"] == "rate_limit_error"
    assert limited["retry-after"]
    assert (await _row(limited)).status == "rejected"
    other = Proxy(plain_key)  # buckets are per key
    assert (await other.openai(body)).status_code == 200
