"""Precedence through the real pipeline: override header > active row > POLICY_CONFIG > noop,
and every transaction records the policy name and version that handled it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from activity.models import Transaction
from activity.recorder import recorder
from gateway.keys import api_key_create
from policies.models import PolicyConfigHistory
from policies.reloader import policy_shutdown, policy_startup
from policies.services import policy_config_create, policy_config_update, policy_enable
from tests.gateway.integration.conftest import Proxy

pytestmark = pytest.mark.django_db(transaction=True)

CAPS_FILE = "name: shouty\npolicy: all-caps\n"
REPLACE = {"replacements": {"hello": "bye"}}


@pytest.fixture
def proxy(recording: None) -> Proxy:
    _, secret = api_key_create(name="overrider", may_override_policy=True)
    return Proxy(secret)


async def _ask(proxy: Proxy, **headers: str) -> tuple[int, str, str]:
    response = await proxy.openai(
        {"model": "mock/echo", "messages": [{"role": "user", "content": "hello there"}]},
        **headers,
    )
    body = json.loads(response.content)
    text = body["choices"][0]["message"]["content"] if response.status_code == 200 else ""
    return response.status_code, text, response["x-luthien-transaction-id"]


async def _recorded(transaction_id: str) -> tuple[str, int]:
    await sync_to_async(recorder().flush)(10)
    row = await Transaction.objects.aget(id=transaction_id)
    return row.policy_name, row.policy_version


async def test_default_is_pass_through(proxy: Proxy) -> None:
    status, text, tx = await _ask(proxy)
    assert (status, text) == (200, "You said: hello there")
    assert await _recorded(tx) == ("noop", 0)


async def test_file_applies_when_nothing_is_saved(proxy: Proxy, policy_file: Any) -> None:
    policy_file(CAPS_FILE)
    _, text, tx = await _ask(proxy)
    assert text == "YOU SAID: HELLO THERE"
    assert await _recorded(tx) == ("shouty", 0)


async def test_file_is_imported_at_start_when_no_row_is_active(
    proxy: Proxy, policy_file: Any
) -> None:
    policy_file(CAPS_FILE)
    await policy_startup()
    try:
        _, text, tx = await _ask(proxy)
    finally:
        await policy_shutdown()
    assert text == "YOU SAID: HELLO THERE"
    assert await _recorded(tx) == ("shouty", 1)
    actions = await sync_to_async(list)(
        PolicyConfigHistory.objects.filter(policy_name="shouty").values_list("action", flat=True)
    )
    assert actions == ["imported"]


async def test_active_row_beats_the_file(proxy: Proxy, policy_file: Any) -> None:
    policy_file(CAPS_FILE)
    await sync_to_async(policy_enable)(policy_class="string-replace", config=REPLACE, name="rep")
    await policy_startup()  # a row is active: the file is not imported
    try:
        _, text, tx = await _ask(proxy)
    finally:
        await policy_shutdown()
    assert text == "You said: bye there"
    assert await _recorded(tx) == ("rep", 1)


async def test_override_header_beats_the_active_row(proxy: Proxy) -> None:
    await sync_to_async(policy_enable)(policy_class="all-caps")
    rep = await sync_to_async(policy_config_create)(
        name="rep", policy_class="string-replace", config=REPLACE
    )
    _, text, tx = await _ask(proxy, **{"X-Luthien-Policy": "rep"})
    assert text == "You said: bye there"
    assert await _recorded(tx) == ("rep", 1)
    _, text, _ = await _ask(proxy)
    assert text == "YOU SAID: HELLO THERE"
    # a change to the saved policy is used at once by the next override
    await sync_to_async(policy_config_update)(policy=rep, config={"replacements": {"hello": "hi"}})
    _, text, tx = await _ask(proxy, **{"X-Luthien-Policy": "rep"})
    assert text == "You said: hi there"
    assert await _recorded(tx) == ("rep", 2)


async def test_override_unknown_name_is_404(proxy: Proxy) -> None:
    status, _, _ = await _ask(proxy, **{"X-Luthien-Policy": "missing"})
    assert status == 404


async def test_override_needs_the_key_flag(recording: None) -> None:
    await sync_to_async(policy_enable)(policy_class="all-caps")
    _, secret = await sync_to_async(api_key_create)(name="plain")
    status, _, _ = await _ask(Proxy(secret), **{"X-Luthien-Policy": "all-caps"})
    assert status == 403


async def test_activation_applies_to_the_next_request(proxy: Proxy) -> None:
    _, text, _ = await _ask(proxy)
    assert text == "You said: hello there"
    row = await sync_to_async(policy_enable)(policy_class="all-caps")
    _, text, tx = await _ask(proxy)
    assert text == "YOU SAID: HELLO THERE"
    assert await _recorded(tx) == ("all-caps", row.version)
