"""`X-Luthien-Policy`: who may use it, the switch that turns it off, and how it is recorded."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from asgiref.sync import sync_to_async

from activity.models import Transaction
from activity.recorder import recorder
from policies.services import policy_config_create, policy_enable
from tests.gateway.integration.conftest import Proxy

USER = [{"role": "user", "content": "hello there"}]
pytestmark = pytest.mark.django_db(transaction=True)


async def _row(response: Any) -> Transaction:
    await sync_to_async(recorder().flush)(10)
    return await Transaction.objects.aget(id=response.headers["x-luthien-transaction-id"])


@pytest.fixture
async def saved_noop(transactional_db: None) -> None:
    await sync_to_async(policy_enable)(policy_class="all-caps")
    await sync_to_async(policy_config_create)(name="let-through", policy_class="noop", config={})


async def _ask(proxy: Proxy, fmt: str = "openai", **headers: str) -> Any:
    body = {"model": "mock/echo", "messages": USER, "max_tokens": 20}
    return await (
        proxy.openai(body, **headers) if fmt == "openai" else proxy.anthropic(body, **headers)
    )


@pytest.mark.parametrize("fmt", ["openai", "anthropic"])
async def test_bootstrap_key_may_not_override(saved_noop: None, settings: Any, fmt: str) -> None:
    settings.PROXY_API_KEY = "bootstrap-secret"
    response = await _ask(Proxy("bootstrap-secret"), fmt, **{"X-Luthien-Policy": "let-through"})
    assert response.status_code == 403
    error = orjson.loads(response.content)["error"]
    assert error["type"] == "permission_error"
    assert "may not choose a policy with X-Luthien-Policy" in error["message"]
    # the same key without the header gets the active policy
    plain = await _ask(Proxy("bootstrap-secret"), fmt)
    assert plain.status_code == 200 and "YOU SAID: HELLO THERE" in plain.text


async def test_override_key_may_override_and_it_is_recorded(
    saved_noop: None, settings: Any
) -> None:
    settings.PROXY_API_KEY = "bootstrap-secret"
    settings.PROXY_OVERRIDE_API_KEY = "override-secret"
    response = await _ask(Proxy("override-secret"), **{"X-Luthien-Policy": "let-through"})
    assert response.status_code == 200
    assert (
        orjson.loads(response.content)["choices"][0]["message"]["content"]
        == "You said: hello there"
    )
    row = await _row(response)
    assert (row.policy_name, row.policy_overridden, row.api_key_name) == (
        "let-through",
        True,
        "bootstrap-override",
    )
    normal = await _ask(Proxy("override-secret"))
    assert (await _row(normal)).policy_overridden is False


async def test_granted_key_overrides_unless_the_gateway_disables_the_header(
    saved_noop: None, proxy: Proxy, settings: Any
) -> None:
    assert (await _ask(proxy, **{"X-Luthien-Policy": "let-through"})).status_code == 200
    settings.LUTHIEN_ALLOW_POLICY_OVERRIDE = False
    response = await _ask(proxy, "anthropic", **{"X-Luthien-Policy": "let-through"})
    assert response.status_code == 403
    parsed = orjson.loads(response.content)
    assert parsed["type"] == "error" and parsed["error"]["type"] == "permission_error"
    assert "LUTHIEN_ALLOW_POLICY_OVERRIDE=0" in parsed["error"]["message"]


async def test_override_badge_on_history_and_detail(
    saved_noop: None, proxy: Proxy, admin_client: Any
) -> None:
    response = await _ask(proxy, **{"X-Luthien-Policy": "let-through"})
    row = await _row(response)
    history = await sync_to_async(admin_client.get)("/activity/")
    assert b"status-override" in history.content
    detail = await sync_to_async(admin_client.get)(f"/activity/{row.id}/")
    assert b"status-override" in detail.content
