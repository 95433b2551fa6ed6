"""App config of the transaction log."""

from django.apps import AppConfig


class ActivityConfig(AppConfig):
    """Transaction log, recorder, live broadcast and history pages.

    Nothing happens at start-up: the recorder is created lazily on the first recorded call.
    """

    name = "activity"
    verbose_name = "Activity"
    default_auto_field = "django.db.models.BigAutoField"
