"""Client API keys: stored hashed, shown once, looked up by prefix, compared in constant time.

A key (or its group) may be assigned a saved policy that its calls run instead of the active
one (`policies.selection` has the precedence); the assignment is written only through
`gateway.key_policies`.
"""

from __future__ import annotations

from django.db import models


class ApiKeyGroup(models.Model):
    """A named group of keys (a team, an environment) sharing a policy assignment."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    policy = models.ForeignKey(
        "policies.PolicyConfig",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="key_groups",
        help_text="The saved policy the group's keys run (a key's own policy wins); empty: "
        "the active policy.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "API key group"

    def __str__(self) -> str:
        return self.name


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
    group = models.ForeignKey(
        ApiKeyGroup,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="keys",
    )
    policy = models.ForeignKey(
        "policies.PolicyConfig",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="api_keys",
        help_text="The saved policy this key's calls run (over its group's and the active "
        "one); empty: the group's policy, else the active policy.",
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

    @property
    def assigned_policy_name(self) -> str:
        """The name of the saved policy this key runs by assignment ("" for none)."""
        if self.policy is not None:
            return self.policy.name
        if self.group is not None and self.group.policy is not None:
            return self.group.policy.name
        return ""
