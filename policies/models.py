"""Saved policy configurations and their history.

A `PolicyConfig` row is a named, validated instance of a registered policy class. At most one row
is active (a partial unique constraint); the active row is what every worker enforces. Every
change and activation appends a `PolicyConfigHistory` row. Rows are written only by
`policies.services`; read them through `policies.selectors`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class PolicyConfig(models.Model):
    """A named config of one policy class; `version` goes up on every change of its content."""

    name = models.CharField(
        max_length=100,
        unique=True,
        help_text="Used in the admin API, the X-Luthien-Policy header and every transaction.",
    )
    policy_class = models.CharField(max_length=100, help_text="A registered policy class.")
    config = models.JSONField(default=dict, blank=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=False, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    activated_at = models.DateTimeField(null=True, blank=True, editable=False)
    activated_by = models.CharField(max_length=150, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "policy config"
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="policies_at_most_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.policy_class} v{self.version})"


class PolicyConfigHistory(models.Model):
    """One change or activation of a policy config: who, when, what, before and after."""

    class Action(models.TextChoices):
        CREATED = "created"
        UPDATED = "updated"
        ACTIVATED = "activated"
        DEACTIVATED = "deactivated"
        DELETED = "deleted"
        IMPORTED = "imported"

    policy = models.ForeignKey(
        PolicyConfig,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="history",
    )
    policy_name = models.CharField(max_length=100, db_index=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    version = models.PositiveIntegerField(default=0)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor = models.CharField(max_length=150, blank=True, help_text="Who or what made the change.")
    old_class = models.CharField(max_length=100, blank=True)
    new_class = models.CharField(max_length=100, blank=True)
    old_config = models.JSONField(null=True, blank=True)
    new_config = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "policy config history entry"
        verbose_name_plural = "policy config history"

    def __str__(self) -> str:
        return f"{self.policy_name} {self.action} at {self.at:%Y-%m-%d %H:%M:%S}"


class AssignmentStamp(models.Model):
    """One row: when a key's or key group's policy assignment last changed. Part of the
    database version stamp, so workers without Redis notice assignment changes too."""

    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "policy assignment stamp"

    def __str__(self) -> str:
        return f"assignments changed {self.changed_at.isoformat()}"
