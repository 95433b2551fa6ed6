"""Judge configs through every way of saving a policy: refused with the field and the reason,
secrets kept on a masked round trip, old saved rows still loading where safe, and a routed judge
end to end through the proxy."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from django.core.management import call_command
from django.test import Client

from gateway.keys import api_key_create
from policies.checks import check_policy_file
from policies.config_secrets import MASK
from policies.loading import active_from_row
from policies.models import PolicyConfig
from policies.validation import PolicyValidationError
from tests.gateway.integration.sse_helpers import anthropic_stream_text
from tests.lane import LaneClient

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/admin"
FOREIGN = {"base_url": "https://evil.test/v1", "model": "gpt-4o", "api_key_env": "OPENAI_API_KEY"}


@pytest.fixture
def api(bearer: dict[str, str]) -> Any:
    def call(method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body) if body is not None else None
        handler = getattr(Client(), method)
        if data is None:
            return handler(API + path, **bearer)
        return handler(API + path, data, content_type="application/json", **bearer)

    return call


@pytest.fixture
def judge_host(settings: Any) -> str:
    settings.LUTHIEN_JUDGE_ALLOWED_HOSTS = ["judge.example"]
    return "https://judge.example/v1"


def errors(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {".".join(map(str, e["loc"])): e["msg"] for e in response.json()["detail"]}


# --- refused at save time ----------------------------------------------------------------------


def test_base_url_outside_the_allow_list_is_a_422(api: Any, judge_host: str) -> None:
    body = {"name": "j", "policy_class": "tool-judge", "config": {"base_url": "https://x.test"}}
    found = errors(api("post", "/policies", body))
    assert list(found) == ["config.base_url"]
    assert (
        "'x.test' is not in LUTHIEN_JUDGE_ALLOWED_HOSTS (judge.example)" in found["config.base_url"]
    )
    assert not PolicyConfig.objects.exists()


def test_provider_key_with_a_foreign_base_url_is_a_422(api: Any, judge_host: str) -> None:
    config = {"base_url": judge_host, "model": "m", "api_key_env": "OPENAI_API_KEY"}
    found = errors(api("post", "/policy/enable", {"policy_class": "rules-judge", "config": config}))
    assert list(found) == ["config.api_key_env"]
    assert "OPENAI_API_KEY is a key of the gateway itself" in found["config.api_key_env"]
    found = errors(
        api("post", "/policies", {"name": "j", "policy_class": "tool-judge", "config": FOREIGN})
    )
    assert sorted(found) == ["config.api_key_env", "config.base_url"]


def test_a_judge_inside_a_chain_is_checked_too(api: Any) -> None:
    member = {"policy": "tool-judge", "config": FOREIGN}
    body = {"name": "c", "policy_class": "chain", "config": {"members": [member]}}
    found = errors(api("post", "/policies", body))
    assert sorted(found) == [
        "config.members.0.config.api_key_env",
        "config.members.0.config.base_url",
    ]


def test_patch_into_an_unsafe_judge_is_refused(api: Any, saved: Any) -> None:
    saved("j", "tool-judge", {"model": "mock/judge"})
    found = errors(api("patch", "/policies/j", {"config": FOREIGN}))
    assert "config.base_url" in found
    assert PolicyConfig.objects.get(name="j").config == {"model": "mock/judge"}


def test_django_admin_shows_the_reason_next_to_the_config(admin_client: Client) -> None:
    data = {
        "name": "j",
        "policy_class": "tool-judge",
        "description": "",
        "config": json.dumps(FOREIGN),
    }
    page = admin_client.post("/admin/policies/policyconfig/add/", data).content.decode()
    assert (
        "config.base_url: host &#x27;evil.test&#x27; is not in LUTHIEN_JUDGE_ALLOWED_HOSTS" in page
    )
    assert "config.api_key_env: OPENAI_API_KEY is a key of the gateway itself" in page
    assert not PolicyConfig.objects.exists()


def test_policy_page_shows_the_reason_next_to_the_form(admin_client: Client) -> None:
    data = {"policy_class": "tool-judge", "name": "j", "config": json.dumps(FOREIGN)}
    response = admin_client.post("/policies/enable", data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "config.api_key_env: OPENAI_API_KEY is a key of the gateway itself" in page
    assert not PolicyConfig.objects.exists()


def test_policy_file_with_an_unsafe_judge_fails_the_check(policy_file: Any) -> None:
    policy_file(
        "policy: tool-judge\nconfig:\n  base_url: https://evil.test/v1\n  api_key: sk-FILESECRET\n"
    )
    (error,) = check_policy_file()
    assert "base_url: host 'evil.test' is not in LUTHIEN_JUDGE_ALLOWED_HOSTS" in error.msg
    assert "sk-FILESECRET" not in error.msg


# --- write-only secrets ------------------------------------------------------------------------


def test_masked_round_trip_through_the_api_keeps_the_secret(api: Any, judge_host: str) -> None:
    config = {"base_url": judge_host, "model": "m", "api_key": "sk-kept"}
    assert (
        api(
            "post", "/policies", {"name": "j", "policy_class": "tool-judge", "config": config}
        ).status_code
        == 201
    )
    shown = api("get", "/policies/j").json()["config"]
    assert shown["api_key"] == MASK
    unchanged = api("patch", "/policies/j", {"config": shown})
    assert unchanged.json()["version"] == 1  # sending back what was shown changes nothing
    changed = api("patch", "/policies/j", {"config": {**shown, "threshold": 0.3}})
    assert changed.json()["version"] == 2
    row = PolicyConfig.objects.get(name="j")
    assert (row.config["api_key"], row.config["threshold"]) == ("sk-kept", 0.3)
    replaced = api("patch", "/policies/j", {"config": {**shown, "api_key": "sk-new"}})
    assert replaced.status_code == 200
    assert PolicyConfig.objects.get(name="j").config["api_key"] == "sk-new"


def test_mask_without_a_stored_secret_is_a_422(api: Any, judge_host: str) -> None:
    config = {"base_url": judge_host, "api_key": MASK}
    found = errors(
        api("post", "/policies", {"name": "j", "policy_class": "tool-judge", "config": config})
    )
    assert list(found) == ["config.api_key"]
    assert "stands for a stored secret, but none is stored here" in found["config.api_key"]


def test_masked_round_trip_through_the_admin_form_keeps_the_secret(
    admin_client: Client, saved: Any, judge_host: str
) -> None:
    row = saved("j", "tool-judge", {"base_url": judge_host, "model": "m", "api_key": "sk-admin"})
    url = f"/admin/policies/policyconfig/{row.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    shown = json.loads(form["config"].value())
    assert shown["api_key"] == MASK
    shown["threshold"] = 0.2
    data = {"policy_class": "tool-judge", "description": "", "config": json.dumps(shown)}
    data.update(
        {
            "history-TOTAL_FORMS": "1",
            "history-INITIAL_FORMS": "1",
            "history-MIN_NUM_FORMS": "0",
            "history-MAX_NUM_FORMS": "1000",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    row.refresh_from_db()
    assert (row.config["api_key"], row.config["threshold"], row.version) == ("sk-admin", 0.2, 2)


def test_a_failed_form_does_not_show_the_secret_just_typed(
    admin_client: Client, judge_host: str
) -> None:
    config = {"base_url": judge_host, "api_key": "sk-TYPED", "threshold": 7}
    data = {
        "name": "j",
        "policy_class": "tool-judge",
        "description": "",
        "config": json.dumps(config),
    }
    page = admin_client.post("/admin/policies/policyconfig/add/", data).content.decode()
    assert "config.threshold" in page and "sk-TYPED" not in page and MASK in page
    data = {"policy_class": "tool-judge", "name": "j", "config": json.dumps(config)}
    page = admin_client.post("/policies/enable", data).content.decode()
    assert "config.threshold" in page and "sk-TYPED" not in page


def test_policy_list_command_masks(saved: Any, judge_host: str, capsys: Any) -> None:
    saved("j", "tool-judge", {"base_url": judge_host, "api_key": "sk-CLI"})
    call_command("policy_list")
    out = capsys.readouterr().out
    assert "sk-CLI" not in out and MASK in out


# --- rows saved before the rule ----------------------------------------------------------------


def test_old_official_provider_row_loads_routed(settings: Any) -> None:
    settings.OPENAI_API_KEY = "sk-gateway"
    old = {
        "base_url": "https://api.openai.com/v1",
        "model": "gpt-4o-mini",
        "api_key_env": "OPENAI_API_KEY",
    }
    row = PolicyConfig.objects.create(name="old", policy_class="tool-judge", config=old)
    options = active_from_row(row).policy.config
    assert (options.base_url, options.model, options.api_key_env) == (
        None,
        "openai/gpt-4o-mini",
        None,
    )
    mock_row = PolicyConfig.objects.create(
        name="old-mock",
        policy_class="rules-judge",
        config={"base_url": "http://luthien-mock.internal/v1", "model": "judge?p=0.2"},
    )
    assert active_from_row(mock_row).policy.config.model == "mock/judge?p=0.2"


def test_old_row_that_would_move_a_key_no_longer_loads() -> None:
    row = PolicyConfig.objects.create(name="old", policy_class="tool-judge", config=FOREIGN)
    with pytest.raises(PolicyValidationError) as caught:
        active_from_row(row)
    assert {e.path for e in caught.value.errors} == {"config.base_url", "config.api_key_env"}


# --- a routed judge, end to end ----------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
async def test_routed_mock_judge_blocks_through_the_proxy(stream: bool, settings: Any) -> None:
    from asgiref.sync import sync_to_async

    from activity.recorder import recorder, reset_recorder
    from policies.services import policy_enable

    settings.LUTHIEN_BROADCAST = False
    await sync_to_async(reset_recorder)()
    await sync_to_async(policy_enable)(
        policy_class="tool-judge", name="routed", config={"model": "mock/judge", "threshold": 0.6}
    )
    _, key = await sync_to_async(api_key_create)(name="routed-judge")
    body = {
        "model": "mock/tool",
        "max_tokens": 100,
        "stream": stream,
        "messages": [{"role": "user", "content": "rm -rf ~"}],
    }
    response = await LaneClient().post(
        "/v1/messages",
        data=orjson.dumps(body),
        content_type="application/json",
        headers={"x-api-key": key, "anthropic-version": "2023-06-01"},
    )
    assert response.status_code == 200
    if stream:
        body_bytes = b"".join([chunk async for chunk in response.streaming_content])
        text, calls, stop = anthropic_stream_text(body_bytes)
    else:
        reply = response.json()
        calls = [b for b in reply["content"] if b["type"] == "tool_use"]
        text = "".join(b["text"] for b in reply["content"] if b["type"] == "text")
        stop = reply["stop_reason"]
    assert (calls, stop) == ([], "end_turn")
    assert '⛔ Luthien blocked a tool call (policy "routed").' in text
    assert "Reason: Clearly dangerous: matched rm -rf. (risk 0.95, threshold 0.60)" in text
    await sync_to_async(recorder().flush)(timeout=10)
    await sync_to_async(reset_recorder)()
