"""Client API keys: stored hashed, shown once, looked up by prefix, compared in constant time."""

from __future__ import annotations

from django.db import models


class ApiKey(models.Model):
    """A key a client sends as `Authorization: Bearer …` or `x-api-key`."""

    name = models.CharField(max_length=100, unique=True)
    prefix = models.CharField(max_length=16, db_index=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(default=True)
    may_override_policy = models.BooleanField(
        default=False,
        help_text="May choose a saved policy per request with the X-Luthien-Policy header "
        "(tests and demos).",
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Requests per minute for this key, shared by every worker (empty: the "
        "gateway's LUTHIEN_RATE_LIMIT_PER_MINUTE; 0: no limit).",
    )
    rate_limit_burst = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Requests this key may send at once before the per-minute rate applies "
        "(empty: LUTHIEN_RATE_LIMIT_BURST, else the per-minute value).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
