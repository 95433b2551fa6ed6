"""Django's error reports (the DEBUG page, error e-mails) with proxy settings hidden too."""

from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter


class SettingsFilter(SafeExceptionReporterFilter):
    """Hides settings named like keys and secrets, and every `*PROXY*` setting: proxy URLs
    may carry a user and password."""

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|PROXY", flags=re.I
    )
