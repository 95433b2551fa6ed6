"""The policy admin API: every route, auth (401/403/CSRF), 422 field paths, 404, 409."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from policies.models import PolicyConfig, PolicyConfigHistory
from policies.runtime import policy_runtime

pytestmark = pytest.mark.django_db  # on_commit matters only where marked transactional

API = "/api/admin"


class Api:
    """JSON calls with the admin key."""

    def __init__(self, client: Client, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body) if body is not None else None
        call = getattr(self.client, method)
        if data is None:
            return call(API + path, **self.headers)
        return call(API + path, data, content_type="application/json", **self.headers)


@pytest.fixture
def api(bearer: dict[str, str]) -> Api:
    return Api(Client(), bearer)


def test_policy_classes(api: Api) -> None:
    response = api("get", "/policy-classes")
    assert response.status_code == 200
    caps = next(c for c in response.json() if c["name"] == "all-caps")
    assert set(caps) == {"name", "description", "config_schema", "example_config", "streaming_mode"}


def test_create_list_get_patch_delete(api: Api) -> None:
    created = api(
        "post",
        "/policies",
        {
            "name": "rep",
            "policy_class": "string-replace",
            "config": {"replacements": {"a": "b"}},
            "description": "first",
        },
    )
    assert created.status_code == 201
    assert created.json()["version"] == 1 and created.json()["is_active"] is False
    assert [p["name"] for p in api("get", "/policies").json()] == ["rep"]
    assert api("get", "/policies/rep").json()["description"] == "first"
    patched = api("patch", "/policies/rep", {"config": {"replacements": {"a": "c"}}})
    assert patched.status_code == 200
    assert patched.json()["version"] == 2 and patched.json()["description"] == "first"
    assert api("delete", "/policies/rep").status_code == 204
    assert api("get", "/policies/rep").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_activate_current_and_history(api: Api) -> None:
    api("post", "/policies", {"name": "caps", "policy_class": "all-caps"})
    current = api("get", "/policies/current").json()
    assert (current["name"], current["source"], current["version"]) == ("noop", "default", 0)
    activated = api("post", "/policies/caps/activate")
    assert activated.status_code == 200 and activated.json()["is_active"] is True
    current = api("get", "/policies/current").json()
    assert (current["name"], current["source"], current["by"]) == (
        "caps",
        "database",
        "admin API key",
    )
    assert current["since"] is not None
    assert policy_runtime().current().name == "caps"
    history = api("get", "/policies/caps/history").json()
    assert [h["action"] for h in history] == ["activated", "created"]
    assert api("get", "/policies/nope/history").status_code == 404


def test_enable_in_one_call(api: Api) -> None:
    response = api("post", "/policy/enable", {"policy_class": "all-caps", "config": {}})
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["is_active"]) == ("all-caps", True)
    named = api("post", "/policy/enable", {"policy_class": "noop", "name": "quiet"})
    assert named.json()["name"] == "quiet"
    assert PolicyConfig.objects.get(is_active=True).name == "quiet"


@pytest.mark.parametrize(
    ("method", "path", "body", "loc"),
    [
        (
            "post",
            "/policies",
            {"name": "j", "policy_class": "tool-judge", "config": {"threshold": 5}},
            ["config", "threshold"],
        ),
        ("post", "/policies", {"name": "bad name", "policy_class": "noop"}, ["name"]),
        ("post", "/policies", {"name": "x", "policy_class": "nope"}, ["policy_class"]),
        ("post", "/policies", {"name": "x", "policy_class": "noop", "config": "str"}, ["config"]),
        (
            "post",
            "/policy/enable",
            {"policy_class": "tool-judge", "config": {"timeout_s": "soon"}},
            ["config", "timeout_s"],
        ),
    ],
)
def test_validation_errors_are_422_with_paths(
    api: Api, method: str, path: str, body: Any, loc: list[Any]
) -> None:
    response = api(method, path, body)
    assert response.status_code == 422
    assert loc in [error["loc"] for error in response.json()["detail"]]
    assert not PolicyConfig.objects.exists()


def test_patch_422_and_unknown_names_404(api: Api) -> None:
    api("post", "/policies", {"name": "j", "policy_class": "tool-judge"})
    response = api("patch", "/policies/j", {"config": {"threshold": -1}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["config", "threshold"]
    assert PolicyConfig.objects.get(name="j").version == 1
    for method, path in [
        ("get", "/policies/x"),
        ("patch", "/policies/x"),
        ("delete", "/policies/x"),
        ("post", "/policies/x/activate"),
    ]:
        body = {} if method == "patch" else None
        assert api(method, path, body).status_code == 404, (method, path)


def test_conflicts_are_409(api: Api) -> None:
    api("post", "/policy/enable", {"policy_class": "all-caps"})
    duplicate = api("post", "/policies", {"name": "all-caps", "policy_class": "noop"})
    assert duplicate.status_code == 409
    assert api("delete", "/policies/all-caps").status_code == 409


def test_failed_activation_changes_nothing(api: Api) -> None:
    api("post", "/policy/enable", {"policy_class": "all-caps"})
    api("post", "/policies", {"name": "judge", "policy_class": "tool-judge"})
    PolicyConfig.objects.filter(name="judge").update(config={"threshold": "x"})
    before = PolicyConfigHistory.objects.count()
    response = api("post", "/policies/judge/activate")
    assert response.status_code == 422
    assert PolicyConfig.objects.get(is_active=True).name == "all-caps"
    assert PolicyConfigHistory.objects.count() == before


ROUTES = [
    ("get", "/policy-classes"),
    ("get", "/policies"),
    ("post", "/policies"),
    ("get", "/policies/current"),
    ("get", "/policies/x"),
    ("patch", "/policies/x"),
    ("delete", "/policies/x"),
    ("post", "/policies/x/activate"),
    ("get", "/policies/x/history"),
    ("post", "/policy/enable"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_needs_credentials(admin_key: str, method: str, path: str) -> None:
    client = Client()
    assert getattr(client, method)(API + path).status_code == 401
    wrong = {"HTTP_AUTHORIZATION": "Bearer not-the-key"}
    assert getattr(client, method)(API + path, **wrong).status_code == 401


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_non_staff_session_is_403(method: str, path: str) -> None:
    user = get_user_model().objects.create_user("joe", password="pw")
    client = Client()
    client.force_login(user)
    assert getattr(client, method)(API + path).status_code == 403


def test_no_admin_key_configured_means_no_bearer_access(settings: Any) -> None:
    settings.ADMIN_API_KEY = ""
    response = Client().get(API + "/policies", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 401


def test_staff_session_needs_csrf_for_writes(admin_user: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.get(API + "/policies").status_code == 200
    body = json.dumps({"policy_class": "all-caps"})
    refused = client.post(API + "/policy/enable", body, content_type="application/json")
    assert refused.status_code == 403
    client.get("/admin/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        API + "/policy/enable", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 200
    entry = PolicyConfigHistory.objects.filter(action="activated").get()
    assert entry.user == admin_user and entry.actor == admin_user.get_username()


def test_openapi_documents_the_routes(api: Api) -> None:
    schema = api("get", "/openapi.json").json()
    assert {
        "/api/admin/policies/current",
        "/api/admin/policies/{name}/activate",
        "/api/admin/policy/enable",
    } <= set(schema["paths"])
    assert "422" in schema["paths"]["/api/admin/policies"]["post"]["responses"]


def test_reviewer_staff_may_read_but_not_change_policies() -> None:
    reviewer = get_user_model().objects.create_user("rita", password="pw", is_staff=True)
    client = Client()
    client.force_login(reviewer)
    assert client.get(API + "/policies").status_code == 200
    body = json.dumps({"policy_class": "noop"})
    refused = client.post(API + "/policy/enable", body, content_type="application/json")
    assert refused.status_code == 403
    assert not PolicyConfigHistory.objects.exists()
    page = client.post("/policies/enable", {"policy_class": "noop", "config": "{}"})
    assert page.status_code == 403
