"""The transaction log: one `Transaction` per client call, its bodies and its policy decisions.

Bodies live in their own table (`TransactionBody`, one-to-one) so that list queries never read
them; decisions are child rows (`TransactionEvent`). Rows are written by the recorder's
background writer (`activity.recorder`), never on the client's path.
"""

from __future__ import annotations

from django.db import models

from gateway.transaction_record import STATUSES

STATUS_CHOICES = [(status, status.replace("_", " ")) for status in STATUSES]


class Transaction(models.Model):
    """One client call: times, routing, status, key, policy, usage and latency. No bodies."""

    id = models.CharField(primary_key=True, max_length=32, editable=False)
    started_at = models.DateTimeField()  # indexed (descending) in Meta.indexes
    first_byte_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    client_format = models.CharField(max_length=16)
    endpoint = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="The gateway path the client called (e.g. /v1/messages/count_tokens).",
    )
    model = models.CharField(max_length=200, blank=True, db_index=True)
    upstream = models.CharField(max_length=100, blank=True)
    upstream_model = models.CharField(max_length=200, blank=True)
    upstream_format = models.CharField(
        max_length=16,
        blank=True,
        default="",
        help_text="The upstream's wire format; not the client's when the gateway translated.",
    )
    stream = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=STATUS_CHOICES, db_index=True)
    http_status = models.PositiveSmallIntegerField(default=200)
    error = models.TextField(blank=True)
    api_key = models.ForeignKey(
        "gateway.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="transactions",
    )
    api_key_name = models.CharField(max_length=100, blank=True)
    session_id = models.CharField(max_length=255, blank=True, db_index=True)
    policy_name = models.CharField(max_length=100, blank=True, db_index=True)
    policy_version = models.IntegerField(default=0)
    policy_overridden = models.BooleanField(
        default=False, help_text="The client chose the policy with X-Luthien-Policy."
    )
    input_tokens = models.IntegerField(null=True, blank=True)
    output_tokens = models.IntegerField(null=True, blank=True)
    latency_ms = models.FloatField(null=True, blank=True)
    overhead_ms = models.FloatField(null=True, blank=True)
    blocked = models.BooleanField(
        default=False,
        db_index=True,
        help_text="The call was blocked, or a policy blocked something in it.",
    )
    decision_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["-started_at"], name="activity_tx_started_desc")]

    def __str__(self) -> str:
        return f"{self.id} {self.model} {self.status}"

    def get_absolute_url(self) -> str:
        """The detail page (diffs, decision timeline); admin shows it as "View on site"."""
        return f"/activity/{self.id}/"


class TransactionBody(models.Model):
    """The four bodies of a call (streams assembled into complete JSON responses)."""

    transaction = models.OneToOneField(
        Transaction, primary_key=True, on_delete=models.CASCADE, related_name="body"
    )
    request_original = models.JSONField(null=True, blank=True)
    request_final = models.JSONField(null=True, blank=True)
    response_original = models.JSONField(null=True, blank=True)
    response_final = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = "transaction body"
        verbose_name_plural = "transaction bodies"

    def __str__(self) -> str:
        return f"body of {self.transaction_id}"


class TransactionEvent(models.Model):
    """One policy decision taken during a call, in order (`seq`)."""

    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    policy = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=50, db_index=True)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["transaction", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["transaction", "seq"], name="activity_event_unique_seq")
        ]

    def __str__(self) -> str:
        return f"{self.transaction_id}#{self.seq} {self.policy} {self.action}"


class SessionClearance(models.Model):
    """A human cleared a session's strikes: trajectory rules count blocks after `cleared_at`
    only (the `strikes` policy's lock lifts)."""

    session_id = models.CharField(max_length=255, db_index=True)
    cleared_at = models.DateTimeField()
    cleared_by = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-cleared_at"]
        verbose_name = "session clearance"

    def __str__(self) -> str:
        return f"{self.session_id} cleared {self.cleared_at.isoformat()}"
