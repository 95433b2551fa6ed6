"""Django admin for saved policies: schema-validated form, "activate" action, history inline.

Every write goes through `policies.services` (`save_model`, `delete_model`, the actions); the
admin only maps forms and messages onto them. Configs are shown with their secrets as `••••`
(the form, the history inline, the history pages).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from policies.config_secrets import config_mask
from policies.forms import PolicyConfigForm
from policies.models import PendingApproval, PolicyConfig, PolicyConfigHistory
from policies.services import (
    Actor,
    policy_config_activate,
    policy_config_create,
    policy_config_delete,
    policy_config_update,
)
from policies.validation import PolicyManagementError

_EDIT_FIELDS = ("name", "policy_class", "description", "config")
_VIEW_FIELDS = ("name", "policy_class", "description", "config_json")
_HISTORY_FIELDS = (
    "at",
    "policy_name",
    "action",
    "version",
    "actor",
    "old_class",
    "old_config_json",
    "new_class",
    "new_config_json",
)
_INFO_FIELDS = ("is_active", "version", "activated_at", "activated_by", "created_at", "updated_at")


def _json(value: Any, policy_class: str) -> SafeString:
    value = config_mask(policy_class, value)
    if value is None:
        return format_html("<em>{}</em>", "—")
    return format_html(
        '<pre style="white-space:pre-wrap;margin:0">{}</pre>',
        json.dumps(value, indent=2, ensure_ascii=False),
    )


class PolicyConfigHistoryInline(admin.TabularInline):
    """The history of one saved policy, newest first, read-only."""

    model = PolicyConfigHistory
    fk_name = "policy"
    extra = 0
    can_delete = False
    ordering = ["-at", "-id"]
    fields = ("at", "action", "version", "actor", "old_class", "old_config_json", "new_config_json")
    readonly_fields = fields

    @admin.display(description="old config")
    def old_config_json(self, entry: PolicyConfigHistory) -> SafeString:
        return _json(entry.old_config, entry.old_class)

    @admin.display(description="new config")
    def new_config_json(self, entry: PolicyConfigHistory) -> SafeString:
        return _json(entry.new_config, entry.new_class)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PolicyConfig)
class PolicyConfigAdmin(admin.ModelAdmin):
    """Saved policies; the active one is marked, `activate` switches every worker."""

    form = PolicyConfigForm
    list_display = ["name", "active_marker", "policy_class", "version", "updated_at", "updated_by"]
    list_display_links = ["name"]
    list_filter = ["is_active", "policy_class"]
    search_fields = ["name", "description", "policy_class"]
    actions = ["activate"]

    @admin.display(description="active", boolean=True, ordering="-is_active")
    def active_marker(self, row: PolicyConfig) -> bool:
        return row.is_active

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[Any]:
        return [PolicyConfigHistoryInline] if obj is not None else []

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["name", *_INFO_FIELDS] if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return list(_EDIT_FIELDS)
        if not self.has_change_permission(request, obj):  # view-only: every field is read-only,
            return [*_VIEW_FIELDS, *_INFO_FIELDS]  # and the raw config would show its secrets
        return [*_EDIT_FIELDS, *_INFO_FIELDS]

    @admin.display(description="config")
    def config_json(self, row: PolicyConfig) -> SafeString:
        return _json(row.config, row.policy_class)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data, actor = form.cleaned_data, Actor(user=request.user)
        config = data.get("config") if data.get("config") is not None else {}
        if change:
            saved = policy_config_update(
                policy=obj,
                policy_class=data["policy_class"],
                config=config,
                description=data.get("description", ""),
                actor=actor,
            )
        else:
            saved = policy_config_create(
                name=data["name"],
                policy_class=data["policy_class"],
                config=config,
                description=data.get("description", ""),
                actor=actor,
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_active:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        policy_config_delete(policy=obj, actor=Actor(user=request.user))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[PolicyConfig]) -> None:
        for row in queryset:
            try:
                policy_config_delete(policy=row, actor=Actor(user=request.user))
            except PolicyManagementError as error:
                self.message_user(request, str(error), messages.ERROR)

    @admin.action(
        description="Activate the selected policy (on every worker)", permissions=["change"]
    )
    def activate(self, request: HttpRequest, queryset: QuerySet[PolicyConfig]) -> None:
        rows = list(queryset[:2])
        if len(rows) != 1:
            self.message_user(request, "Select exactly one policy to activate.", messages.ERROR)
            return
        try:
            row = policy_config_activate(policy=rows[0], actor=Actor(user=request.user))
        except PolicyManagementError as error:
            self.message_user(request, f"Not activated: {error}", messages.ERROR)
            return
        self.message_user(request, f"{row.name} v{row.version} is now the active policy.")


@admin.register(PolicyConfigHistory)
class PolicyConfigHistoryAdmin(admin.ModelAdmin):
    """Every change and activation, including those of deleted policies. Read-only."""

    list_display = ["at", "policy_name", "action", "version", "actor", "old_class", "new_class"]
    list_filter = ["action"]
    search_fields = ["policy_name", "actor"]
    date_hierarchy = "at"
    fields = _HISTORY_FIELDS  # the configs only through their masked displays
    readonly_fields = _HISTORY_FIELDS

    @admin.display(description="old config")
    def old_config_json(self, entry: PolicyConfigHistory) -> SafeString:
        return _json(entry.old_config, entry.old_class)

    @admin.display(description="new config")
    def new_config_json(self, entry: PolicyConfigHistory) -> SafeString:
        return _json(entry.new_config, entry.new_class)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PendingApproval)
class PendingApprovalAdmin(admin.ModelAdmin):
    """The approval queue's record, read-only: decide on `/approvals/` or the admin API."""

    list_display = ("created_at", "tool_name", "policy", "status", "decided_by", "decided_at")
    list_filter = ("status", "policy")
    search_fields = ("transaction_id", "session_id", "tool_name", "decided_by", "reason")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
