"""App config of the project itself: it holds only the `runserver` command (daphne with the
ASGI lifespan), so it is listed before `daphne` in `INSTALLED_APPS` to take precedence."""

from django.apps import AppConfig


class LuthienSiteConfig(AppConfig):
    """Settings and entry points; no models."""

    name = "luthien_site"
    verbose_name = "Luthien site"
