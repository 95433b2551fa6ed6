"""App config: discovers policy classes at start-up."""

from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    """Discovers built-in and configured policy modules when Django starts."""

    name = "policies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from policies import checks  # noqa: F401  (registers system checks)
        from policies.registry import discover

        discover()
