"""Admin API for client keys: their groups and the saved policy each key or group runs.

Mounted at `/api/admin/` with the policy API's authentication (`policies.api_auth`: the admin
key, or a staff session; writes need the permission to change policies). Thin over
`gateway.key_policies`. Unknown key, group or policy → 404. Secrets are never shown.

    GET  /keys                      every key: name, prefix, group, policy, effective policy
    PUT  /keys/{name}/policy        {"policy": "<saved policy>" | null}
    PUT  /keys/{name}/group         {"group": "<group>" | null}
    GET  /key-groups                every group with its policy
    POST /key-groups                {"name", "description", "policy"} (create)
    PUT  /key-groups/{name}/policy  {"policy": "<saved policy>" | null}
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from gateway.key_policies import (
    api_key_group_policy_assign,
    api_key_group_save,
    api_key_group_set,
    api_key_policy_assign,
)
from gateway.models import ApiKey, ApiKeyGroup
from policies.api_auth import admin_auth
from policies.models import PolicyConfig

router = Router(auth=admin_auth, tags=["keys"])


class KeyOut(Schema):
    """A client key (never its secret)."""

    name: str
    prefix: str
    is_active: bool
    group: str | None
    policy: str | None
    effective_policy: str | None


class GroupOut(Schema):
    """A key group."""

    name: str
    description: str
    policy: str | None


class PolicyAssignIn(Schema):
    """A saved policy's name, or null for none."""

    policy: str | None = None


class GroupAssignIn(Schema):
    """A group's name, or null for none."""

    group: str | None = None


class GroupIn(Schema):
    """A new key group."""

    name: str
    description: str = ""
    policy: str | None = None


def _key_out(key: ApiKey) -> KeyOut:
    return KeyOut(
        name=key.name,
        prefix=f"lk-{key.prefix}…",
        is_active=key.is_active,
        group=key.group.name if key.group else None,
        policy=key.policy.name if key.policy else None,
        effective_policy=key.assigned_policy_name or None,
    )


def _group_out(group: ApiKeyGroup) -> GroupOut:
    return GroupOut(
        name=group.name,
        description=group.description,
        policy=group.policy.name if group.policy else None,
    )


def _policy(name: str | None) -> PolicyConfig | None:
    if name is None:
        return None
    row = PolicyConfig.objects.filter(name=name).first()
    if row is None:
        raise HttpError(404, f"no saved policy named {name!r}")
    return row


def _key(name: str) -> ApiKey:
    key = ApiKey.objects.select_related("policy", "group__policy").filter(name=name).first()
    if key is None:
        raise HttpError(404, f"no API key named {name!r}")
    return key


def _group(name: str | None) -> ApiKeyGroup | None:
    if name is None:
        return None
    group = ApiKeyGroup.objects.select_related("policy").filter(name=name).first()
    if group is None:
        raise HttpError(404, f"no key group named {name!r}")
    return group


@router.get("/keys", response=list[KeyOut], summary="Client keys and their policies")
def key_list(request: HttpRequest) -> list[KeyOut]:
    rows = ApiKey.objects.select_related("policy", "group__policy").order_by("name")
    return [_key_out(key) for key in rows]


@router.put("/keys/{name}/policy", response=KeyOut, summary="Assign a saved policy to a key")
def key_policy(request: HttpRequest, name: str, payload: PolicyAssignIn) -> KeyOut:
    key = api_key_policy_assign(key=_key(name), policy=_policy(payload.policy))
    return _key_out(_key(key.name))


@router.put("/keys/{name}/group", response=KeyOut, summary="Put a key in a group")
def key_group(request: HttpRequest, name: str, payload: GroupAssignIn) -> KeyOut:
    key = api_key_group_set(key=_key(name), group=_group(payload.group))
    return _key_out(_key(key.name))


@router.get("/key-groups", response=list[GroupOut], summary="Key groups and their policies")
def group_list(request: HttpRequest) -> list[GroupOut]:
    return [_group_out(g) for g in ApiKeyGroup.objects.select_related("policy").order_by("name")]


@router.post("/key-groups", response={201: GroupOut}, summary="Create a key group")
def group_create(request: HttpRequest, payload: GroupIn) -> Status:
    if ApiKeyGroup.objects.filter(name=payload.name).exists():
        raise HttpError(409, f"a key group named {payload.name!r} exists")
    group = ApiKeyGroup(
        name=payload.name, description=payload.description, policy=_policy(payload.policy)
    )
    return Status(201, _group_out(api_key_group_save(group=group)))


@router.put(
    "/key-groups/{name}/policy", response=GroupOut, summary="Assign a saved policy to a group"
)
def group_policy(request: HttpRequest, name: str, payload: PolicyAssignIn) -> GroupOut:
    group = _group(name)
    assert group is not None
    return _group_out(api_key_group_policy_assign(group=group, policy=_policy(payload.policy)))
