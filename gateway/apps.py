"""App config of the proxy."""

from django.apps import AppConfig


class GatewayConfig(AppConfig):
    """The proxy app: endpoints, codecs, upstreams, client keys."""

    name = "gateway"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Count every transaction in the Prometheus metrics (`gateway.metrics`)."""
        from gateway.metrics import metrics_observer
        from gateway.taps import observer_add

        observer_add(metrics_observer())
