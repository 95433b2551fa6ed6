"""App config of the proxy."""

from django.apps import AppConfig


class GatewayConfig(AppConfig):
    """The proxy app: endpoints, codecs, upstreams, client keys."""

    name = "gateway"
    default_auto_field = "django.db.models.BigAutoField"
