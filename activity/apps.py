"""App config of the transaction log."""

from django.apps import AppConfig


class ActivityConfig(AppConfig):
    """Transaction log, recorder, live broadcast and history pages.

    At start-up it registers its transaction observer with the gateway (`activity.taps`); the
    recorder itself is created lazily on the first recorded call.
    """

    name = "activity"
    verbose_name = "Activity"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Observe the gateway's transactions (the gateway never imports this app)."""
        from activity.taps import ActivityObserver  # models must be loaded first
        from gateway.taps import observer_add

        observer_add(ActivityObserver())
