"""Saved policy configurations and their history.

A `PolicyConfig` row is a named, validated instance of a registered policy class. At most one row
is active (a partial unique constraint); the active row is what every worker enforces. Every
change and activation appends a `PolicyConfigHistory` row. Rows are written only by
`policies.services`; read them through `policies.selectors`.

A `PendingApproval` is one tool call an escalating policy holds for a human (the approval queue,
`policies.approvals`): written only by `policies.approvals.services`, read through
`policies.approvals.selectors`. It stays after the decision as the record of who decided what.

A `MonitorScore` is one score of the `monitor` policy; `policies.monitor_window` writes, reads
and prunes them.
"""

from __future__ import annotations

import uuid

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


class PendingApproval(models.Model):
    """A held tool call: what the reviewer sees, and once decided, who decided what and when."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        DENIED = "denied"
        TIMED_OUT = "timed_out"
        WITHDRAWN = "withdrawn"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    transaction_id = models.CharField(max_length=32, db_index=True)
    session_id = models.CharField(max_length=255, blank=True, db_index=True)
    api_key_name = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=200, blank=True)
    client_format = models.CharField(max_length=20, blank=True)
    stream = models.BooleanField(default=False)
    policy = models.CharField(max_length=200, help_text="The policy that escalated the call.")
    reason = models.TextField(blank=True, help_text="Why the policy asks a human.")
    tool_name = models.CharField(max_length=200)
    tool_call_id = models.CharField(max_length=200, blank=True)
    arguments = models.TextField(blank=True, help_text="The arguments as the model sent them.")
    context_text = models.TextField(blank=True, help_text="The model's text before the call.")
    on_timeout = models.CharField(max_length=10, default="deny")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decision_reason = models.TextField(blank=True)
    edited_arguments = models.TextField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "approval"

    def __str__(self) -> str:
        return f"{self.tool_name} ({self.status}) in {self.transaction_id}"


class MonitorScore(models.Model):
    """One score the `monitor` policy gave a tool call: the rolling window its audit and
    deferral thresholds are quantiles of (`policies.monitor_window`, shared by every worker)."""

    policy = models.CharField(max_length=200, help_text="The label of the scoring policy.")
    score = models.FloatField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["policy", "-id"], name="monitor_score_recent")]

    def __str__(self) -> str:
        return f"{self.policy}: {self.score:.2f}"
