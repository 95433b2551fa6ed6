"""No API response, admin page, history page, policy page or activity page shows a configured
secret, to a superuser or to read-only staff: every rendered page and JSON is searched for it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from activity.models import Transaction
from activity.recorder import recorder
from gateway.keys import api_key_create
from policies.config_secrets import MASK
from policies.models import PolicyConfig, PolicyConfigHistory
from tests.lane import LaneClient
from tests.policies.admin_managed.conftest import ADMIN_KEY

pytestmark = pytest.mark.django_db(transaction=True)

CANARY = "LEAKCANARY"
TJ, RJ, RJ_NEW, CHAIN, LEGACY = (f"sk-{CANARY}-{n}" for n in ("tj", "rj", "rj2", "ch", "old"))
MOCK_JUDGE = "http://luthien-mock.internal/v1"
API = "/api/admin"


@pytest.fixture(autouse=True)
def _setup(settings: Any, admin_key: str) -> Iterator[None]:
    settings.LUTHIEN_JUDGE_ALLOWED_HOSTS = ["luthien-mock.internal"]
    settings.LUTHIEN_BROADCAST = False
    yield
    recorder().flush(timeout=10)


def judge(secret: str, **more: Any) -> dict[str, Any]:
    """A free judge on the (allow-listed) mock host, carrying an inline key."""
    return {"base_url": MOCK_JUDGE, "model": "judge", "api_key": secret, **more}


def api(method: str, path: str, body: Any = None) -> Any:
    call = getattr(Client(), method)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {ADMIN_KEY}"}
    if body is None:
        return call(API + path, **headers)
    return call(API + path, json.dumps(body), content_type="application/json", **headers)


def configure() -> list[Any]:
    """Policies carrying secrets, changed (history holds old and new), one active; plus a
    history row written raw before secrets were masked. Returns every API write response."""
    writes = [
        api(
            "post",
            "/policies",
            {"name": "tj", "policy_class": "tool-judge", "config": judge(TJ)},
        ),
        api(
            "post",
            "/policies",
            {
                "name": "rj",
                "policy_class": "rules-judge",
                "config": judge(RJ, rules=["No rm."]),
            },
        ),
        api(
            "post",
            "/policies",
            {
                "name": "ch",
                "policy_class": "chain",
                "config": {"members": [{"policy": "tool-judge", "config": judge(CHAIN)}]},
            },
        ),
        api("patch", "/policies/tj", {"config": judge(TJ, threshold=0.5)}),
        api(
            "patch",
            "/policies/rj",
            {"config": judge(RJ_NEW, rules=["No rm."])},
        ),
        api("post", "/policies/tj/activate"),
        api(
            "post",
            "/policy/enable",
            {"policy_class": "tool-judge", "name": "tj", "config": judge(MASK, threshold=0.6)},
        ),
    ]
    assert [w.status_code for w in writes] == [201, 201, 201, 200, 200, 200, 200], [
        w.content for w in writes
    ]
    row = PolicyConfig.objects.get(name="tj")
    PolicyConfigHistory.objects.create(
        policy=row,
        policy_name="tj",
        action="updated",
        version=1,
        actor="before masking",
        old_class="tool-judge",
        old_config=judge(LEGACY),
        new_class="tool-judge",
        new_config=judge(TJ),
    )
    return writes


async def blocked_transaction() -> str:
    """A proxied call whose tool call the active judge (with its secret key) blocks."""
    _, key = await _key()
    body = {"model": "mock/tool", "messages": [{"role": "user", "content": "rm -rf ~"}]}
    response = await LaneClient().post(
        "/v1/chat/completions",
        data=orjson.dumps(body),
        content_type="application/json",
        headers={"authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200
    text = response.json()["choices"][0]["message"]["content"]
    assert text.startswith('⛔ Luthien blocked a tool call (policy "tj")')
    return str(response["x-luthien-transaction-id"])


async def _key() -> Any:
    from asgiref.sync import sync_to_async

    return await sync_to_async(api_key_create)(name="leak-test")


def read_only_staff() -> Client:
    user = get_user_model().objects.create_user("viewer", password="pw", is_staff=True)
    names = ["view_policyconfig", "view_policyconfighistory", "view_transaction"]
    user.user_permissions.add(*Permission.objects.filter(codename__in=names))
    client = Client()
    client.force_login(user)
    return client


def pages(transaction_id: str) -> list[str]:
    policy = PolicyConfig.objects.get(name="tj")
    entries = PolicyConfigHistory.objects.values_list("pk", flat=True)
    return [
        f"{API}/policies",
        f"{API}/policies/current",
        f"{API}/policy-classes",
        *(f"{API}/policies/{name}" for name in ("tj", "rj", "ch")),
        *(f"{API}/policies/{name}/history" for name in ("tj", "rj", "ch")),
        f"{API}/debug/transactions",
        f"{API}/debug/transactions/{transaction_id}",
        f"{API}/debug/transactions/{transaction_id}/diff",
        "/admin/",
        "/admin/policies/policyconfig/",
        *(f"/admin/policies/policyconfig/{row.pk}/change/" for row in PolicyConfig.objects.all()),
        f"/admin/policies/policyconfig/{policy.pk}/history/",
        "/admin/policies/policyconfighistory/",
        *(f"/admin/policies/policyconfighistory/{pk}/change/" for pk in entries),
        "/admin/activity/transaction/",
        f"/admin/activity/transaction/{transaction_id}/change/",
        "/policies/",
        "/activity/",
        "/activity/monitor",
        f"/activity/{transaction_id}/",
    ]


def test_secrets_appear_in_no_response(admin_client: Client) -> None:
    from asgiref.sync import async_to_sync

    writes = configure()
    transaction_id = async_to_sync(blocked_transaction)()
    recorder().flush(timeout=10)
    assert Transaction.objects.filter(pk=transaction_id, status="blocked").exists()
    stored = PolicyConfig.objects.get(name="tj").config
    assert stored["api_key"] == TJ  # the •••• round trip kept it
    for response in writes:
        assert CANARY not in response.content.decode()
    viewer, admin_api = read_only_staff(), Client()
    for url in pages(transaction_id):
        for who, client, headers in (
            ("superuser", admin_client, {}),
            ("read-only staff", viewer, {}),
            ("admin key", admin_api, {"HTTP_AUTHORIZATION": f"Bearer {ADMIN_KEY}"}),
        ):
            if who == "admin key" and not url.startswith(API):
                continue
            response = client.get(url, **headers)
            assert response.status_code == 200, (who, url, response.status_code)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert CANARY not in body.decode(), (who, url)


def test_masks_stand_where_the_secrets_are(admin_client: Client) -> None:
    configure()
    assert api("get", "/policies/tj").json()["config"]["api_key"] == MASK
    chain = api("get", "/policies/ch").json()["config"]
    assert chain["members"][0]["config"]["api_key"] == MASK
    history = api("get", "/policies/rj/history").json()
    updated = next(e for e in history if e["action"] == "updated")
    assert updated["old_config"]["api_key"] == updated["new_config"]["api_key"] == MASK
    assert api("get", "/policies/current").json()["config"]["api_key"] == MASK
    for client in (admin_client, read_only_staff()):
        row = PolicyConfig.objects.get(name="tj")
        page = client.get(f"/admin/policies/policyconfig/{row.pk}/change/").content.decode()
        assert MASK in page
    assert MASK in admin_client.get("/policies/").content.decode()
    stored = PolicyConfigHistory.objects.exclude(actor="before masking").values_list(
        "old_config", "new_config"
    )
    assert CANARY not in json.dumps(list(stored))  # history rows never hold the key
