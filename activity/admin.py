"""Read-only admin for the transaction log.

The changelist reads `Transaction` rows only (bodies live in another table); the change view
shows the policy decisions as an inline and the four bodies as pretty-printed JSON.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from activity.models import Transaction, TransactionEvent
from wire.routes import recorded_endpoints

_BODY_FIELDS = ("request_original", "request_final", "response_original", "response_final")


def pretty_json(value: Any) -> SafeString:
    """JSON indented inside an escaped `<pre>` block."""
    if value is None:
        return format_html("<em>{}</em>", "none")
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)
    return format_html('<pre style="white-space: pre-wrap; max-width: 100%;">{}</pre>', text)


class ReadOnlyMixin:
    """No add, change or delete; viewing follows the `view` permission."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EndpointFilter(admin.SimpleListFilter):
    """Filter by the gateway path called; the choices come from the route table, so the
    changelist runs no `SELECT DISTINCT` over the whole table."""

    title = "endpoint"
    parameter_name = "endpoint"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(path, path) for path in recorded_endpoints()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Transaction]) -> Any:
        value = self.value()
        return queryset.filter(endpoint=value) if value else queryset


class TransactionEventInline(ReadOnlyMixin, admin.TabularInline):
    """The policy decisions of a call, in order."""

    model = TransactionEvent
    extra = 0
    can_delete = False
    fields = ("seq", "at", "policy", "action", "reason", "details_json")
    readonly_fields = fields
    ordering = ("seq",)

    @admin.display(description="details")
    def details_json(self, obj: TransactionEvent) -> SafeString:
        return pretty_json(obj.details)


def _body_display(name: str) -> Any:
    """A read-only field showing one body of the transaction (change view only)."""

    @admin.display(description=name.replace("_", " "))
    def display(self: TransactionAdmin, obj: Transaction) -> SafeString:
        try:
            body = obj.body
        except ObjectDoesNotExist:
            return pretty_json(None)
        return pretty_json(getattr(body, name))

    display.__name__ = f"{name}_json"
    return display


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Browse recorded calls; nothing can be edited here."""

    list_display = (
        "id",
        "detail_link",
        "started_at",
        "status",
        "model",
        "client_format",
        "api_key_name",
        "policy_name",
        "latency_ms",
        "overhead_ms",
    )
    list_filter = (
        "status",
        "client_format",
        EndpointFilter,
        "blocked",
        "policy_overridden",
        "policy_name",
    )
    search_fields = ("id", "model", "api_key_name")
    list_select_related = False
    show_full_result_count = False
    ordering = ("-started_at",)
    inlines = (TransactionEventInline,)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("id", "status", "http_status", "blocked"),
                    ("started_at", "first_byte_at", "ended_at"),
                    ("client_format", "endpoint", "stream", "model"),
                    ("upstream", "upstream_model"),
                    ("api_key", "api_key_name", "session_id"),
                    ("policy_name", "policy_version", "policy_overridden", "decision_count"),
                    ("input_tokens", "output_tokens"),
                    ("latency_ms", "overhead_ms"),
                    "error",
                )
            },
        ),
        ("Bodies", {"fields": tuple(f"{name}_json" for name in _BODY_FIELDS)}),
    )

    request_original_json = _body_display("request_original")
    request_final_json = _body_display("request_final")
    response_original_json = _body_display("response_original")
    response_final_json = _body_display("response_final")

    @admin.display(description="detail")
    def detail_link(self, obj: Transaction) -> str:
        """A link to the detail page with the diffs."""
        return format_html('<a href="{}">diff</a>', obj.get_absolute_url())

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = [field.name for field in Transaction._meta.fields]
        return fields + [f"{name}_json" for name in _BODY_FIELDS]
