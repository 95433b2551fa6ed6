"""Django admin for client API keys and key groups: create (secret shown once), revoke, last
use, and the saved policy a key or group runs.

The secret exists only in the message shown after creation; the stored hash is never displayed.
Creation and revocation go through `gateway.keys`, policy and group assignments through
`gateway.key_policies` (so every worker picks them up).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from gateway.key_policies import (
    api_key_group_policy_assign,
    api_key_group_save,
    api_key_group_set,
    api_key_policy_assign,
)
from gateway.keys import api_key_create, api_key_revoke, key_cache
from gateway.models import ApiKey, ApiKeyGroup


class ApiKeyAddForm(forms.ModelForm):
    """Only what a new key needs: a name and its rights."""

    class Meta:
        model = ApiKey
        fields = ["name", "may_override_policy", "rate_limit_per_minute", "rate_limit_burst"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Client keys. New secrets are shown once, in the message after saving."""

    list_display = [
        "name",
        "prefix_shown",
        "is_active",
        "may_override_policy",
        "group",
        "policy",
        "created_at",
        "last_used_at",
    ]
    list_filter = ["is_active", "may_override_policy", "group", "policy"]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]
    exclude = ["secret_hash"]

    @admin.display(description="prefix", ordering="prefix")
    def prefix_shown(self, key: ApiKey) -> str:
        return f"lk-{key.prefix}…"

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["name", "may_override_policy", "rate_limit_per_minute", "rate_limit_burst"]
        return [
            "name",
            "prefix_shown",
            "is_active",
            "may_override_policy",
            "group",
            "policy",
            "rate_limit_per_minute",
            "rate_limit_burst",
            "created_at",
            "last_used_at",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return ["prefix_shown", "is_active", "created_at", "last_used_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            assigned = {"group": obj.group, "policy": obj.policy}
            super().save_model(request, obj, form, change)
            key_cache().clear()
            if "group" in form.changed_data:
                api_key_group_set(key=obj, group=assigned["group"])
            if "policy" in form.changed_data:
                api_key_policy_assign(key=obj, policy=assigned["policy"])
            return
        key, secret = api_key_create(
            name=form.cleaned_data["name"],
            may_override_policy=form.cleaned_data.get("may_override_policy", False),
            rate_limit_per_minute=form.cleaned_data.get("rate_limit_per_minute"),
            rate_limit_burst=form.cleaned_data.get("rate_limit_burst"),
        )
        obj.pk = key.pk
        obj.refresh_from_db()
        self.message_user(
            request,
            f"The secret of {key.name!r} is {secret} — copy it now, it will not be shown again.",
            messages.WARNING,
        )

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        count = 0
        for key in queryset.filter(is_active=True):
            api_key_revoke(key=key)
            count += 1
        self.message_user(request, f"Revoked {count} key(s).")


@admin.register(ApiKeyGroup)
class ApiKeyGroupAdmin(admin.ModelAdmin):
    """Key groups: the saved policy their keys run (a key's own assignment wins)."""

    list_display = ["name", "policy", "description"]
    list_filter = ["policy"]
    search_fields = ["name"]
    actions = ["clear_policy"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        api_key_group_save(group=obj)

    @admin.action(description="Remove the policy assignment (run the active policy)")
    def clear_policy(self, request: HttpRequest, queryset: QuerySet[ApiKeyGroup]) -> None:
        for group in queryset:
            api_key_group_policy_assign(group=group, policy=None)
        self.message_user(request, f"Cleared the policy of {queryset.count()} group(s).")
