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
        """Observe the gateway's transactions and give trajectory rules the session history
        (neither the gateway nor the policies import this app)."""
        from activity.sessions import DatabaseSessionHistory, gap_session_latest
        from activity.taps import ActivityObserver  # models must be loaded first
        from gateway.sessions import gap_lookup_set
        from gateway.taps import observer_add
        from policies.session import session_history_set

        observer_add(ActivityObserver())
        session_history_set(DatabaseSessionHistory())
        gap_lookup_set(gap_session_latest)
