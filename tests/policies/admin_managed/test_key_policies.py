"""Policies per key and per key group: precedence through the real pipeline (override header >
key's policy > group's policy > active row), the admin API, and hot reload of assignments."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from activity.models import Transaction
from activity.recorder import recorder
from gateway.key_policies import api_key_group_save, api_key_group_set, api_key_policy_assign
from gateway.keys import api_key_create
from gateway.models import ApiKey, ApiKeyGroup
from policies.models import AssignmentStamp, PolicyConfig
from policies.reloader import PolicyReloader
from policies.services import policy_enable
from policies.version_stamp import database_stamp
from tests.gateway.integration.conftest import Proxy

pytestmark = pytest.mark.django_db(transaction=True)
REPLACE = {"replacements": {"hello": "bye"}}


@pytest.fixture
def world(recording: None, saved: Callable[..., Any]) -> dict[str, Any]:
    """Active all-caps; saved `rep` (hello → bye) and `quiet` (noop); a key allowed to
    override, in no group."""
    policy_enable(policy_class="all-caps")
    saved("rep", "string-replace", REPLACE)
    saved("quiet", "noop")
    key, secret = api_key_create(name="team-key", may_override_policy=True)
    return {"key": key, "proxy": Proxy(secret)}


async def _ask(proxy: Proxy, **headers: str) -> tuple[str, str]:
    response = await proxy.anthropic(
        {
            "model": "mock/echo",
            "max_tokens": 30,
            "messages": [{"role": "user", "content": "hello there"}],
        },
        **headers,
    )
    assert response.status_code == 200, response.content
    text = json.loads(response.content)["content"][0]["text"]
    await sync_to_async(recorder().flush)(10)
    row = await Transaction.objects.aget(id=response["x-luthien-transaction-id"])
    return text, row.policy_name


def _policy(name: str) -> PolicyConfig:
    return PolicyConfig.objects.get(name=name)


async def test_precedence_override_key_group_active(world: dict[str, Any]) -> None:
    proxy, key = world["proxy"], world["key"]
    assert await _ask(proxy) == ("YOU SAID: HELLO THERE", "all-caps")  # the active row

    group = await sync_to_async(api_key_group_save)(
        group=ApiKeyGroup(name="team", policy=await sync_to_async(_policy)("quiet"))
    )
    await sync_to_async(api_key_group_set)(key=key, group=group)
    assert await _ask(proxy) == ("You said: hello there", "quiet")  # the group's policy

    rep = await sync_to_async(_policy)("rep")
    await sync_to_async(api_key_policy_assign)(key=key, policy=rep)
    assert await _ask(proxy) == ("You said: bye there", "rep")  # the key's own beats the group

    overridden = await _ask(proxy, **{"X-Luthien-Policy": "all-caps"})
    assert overridden == ("YOU SAID: HELLO THERE", "all-caps")  # the header beats the key

    await sync_to_async(api_key_policy_assign)(key=key, policy=None)
    await sync_to_async(api_key_group_set)(key=key, group=None)
    assert await _ask(proxy) == ("YOU SAID: HELLO THERE", "all-caps")


async def test_deleting_the_assigned_policy_falls_back_to_the_active_one(
    world: dict[str, Any],
) -> None:
    proxy, key = world["proxy"], world["key"]
    await sync_to_async(api_key_policy_assign)(key=key, policy=await sync_to_async(_policy)("rep"))
    assert (await _ask(proxy))[1] == "rep"
    from policies.services import policy_config_delete

    await sync_to_async(policy_config_delete)(policy=await sync_to_async(_policy)("rep"))
    assert await _ask(proxy) == ("YOU SAID: HELLO THERE", "all-caps")


async def test_another_workers_assignment_arrives_with_the_stamp(
    world: dict[str, Any], no_redis: None
) -> None:
    """A write by another worker (no local after-commit hook) reaches this worker through the
    version stamp: its reloader drops the cached key checks."""
    proxy, key = world["proxy"], world["key"]
    reloader = PolicyReloader()
    await reloader.check()
    assert (await _ask(proxy))[1] == "all-caps"  # the key check is now cached
    before = await sync_to_async(database_stamp)()

    def other_worker_assigns() -> None:
        ApiKey.objects.filter(pk=key.pk).update(policy=_policy("rep"))
        AssignmentStamp.objects.update_or_create(pk=1, defaults={"changed_at": timezone.now()})

    await sync_to_async(other_worker_assigns)()
    assert await sync_to_async(database_stamp)() != before
    assert (await _ask(proxy))[1] == "all-caps"  # not yet seen: cached
    try:
        assert await reloader.check() is True
        assert await _ask(proxy) == ("You said: bye there", "rep")
    finally:
        await reloader.stop()


def test_admin_api_assigns_keys_and_groups(world: dict[str, Any], bearer: dict[str, str]) -> None:
    client = Client()
    put = lambda path, body: client.put(  # noqa: E731
        f"/api/admin{path}", json.dumps(body), content_type="application/json", **bearer
    )
    reply = put("/keys/team-key/policy", {"policy": "rep"})
    assert reply.status_code == 200, reply.content
    assert reply.json()["policy"] == reply.json()["effective_policy"] == "rep"
    assert put("/keys/team-key/policy", {"policy": "missing"}).status_code == 404
    assert put("/keys/nobody/policy", {"policy": "rep"}).status_code == 404

    created = client.post(
        "/api/admin/key-groups",
        json.dumps({"name": "team", "policy": "quiet"}),
        content_type="application/json",
        **bearer,
    )
    assert created.status_code == 201, created.content
    assert put("/keys/team-key/group", {"group": "team"}).json()["group"] == "team"
    assert put("/keys/team-key/policy", {"policy": None}).json()["effective_policy"] == "quiet"
    assert put("/key-groups/team/policy", {"policy": "rep"}).json()["policy"] == "rep"
    keys = client.get("/api/admin/keys", **bearer).json()
    assert [(k["name"], k["group"], k["effective_policy"]) for k in keys] == [
        ("team-key", "team", "rep")
    ]
    assert "secret" not in json.dumps(keys)
    assert client.get("/api/admin/keys").status_code == 401
    groups = client.get("/api/admin/key-groups", **bearer).json()
    assert groups == [{"name": "team", "description": "", "policy": "rep"}]


def test_django_admin_assigns_a_policy_to_a_key_and_a_group(
    world: dict[str, Any], admin_client: Client
) -> None:
    from gateway.keys import ClientIdentity, key_cache

    key = world["key"]
    rep, quiet = _policy("rep"), _policy("quiet")
    key_cache().put("stale", ClientIdentity(key.pk, key.name))
    response = admin_client.post(
        f"/admin/gateway/apikey/{key.pk}/change/",
        {"name": key.name, "may_override_policy": "on", "policy": rep.pk, "group": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    key.refresh_from_db()
    assert key.policy == rep
    assert key_cache().get("stale") == (False, None)  # every worker re-reads the key
    assert AssignmentStamp.objects.count() == 1

    added = admin_client.post(
        "/admin/gateway/apikeygroup/add/",
        {"name": "team", "description": "", "policy": quiet.pk},
    )
    assert added.status_code == 302
    group = ApiKeyGroup.objects.get(name="team")
    admin_client.post(
        "/admin/gateway/apikeygroup/",
        {"action": "clear_policy", "_selected_action": [group.pk]},
    )
    group.refresh_from_db()
    assert group.policy is None
