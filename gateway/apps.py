"""App config of the proxy."""

from django.apps import AppConfig


class GatewayConfig(AppConfig):
    """The proxy app: endpoints, codecs, upstreams, client keys."""

    name = "gateway"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Drop cached key checks (they hold each key's assigned policy) whenever this worker
        sees saved policies or assignments change, and count every transaction in the
        Prometheus metrics (`gateway.metrics`)."""
        from gateway.keys import key_cache_clear
        from gateway.metrics import metrics_observer
        from gateway.taps import observer_add
        from policies.reloader import reload_listener_add

        reload_listener_add(key_cache_clear)
        observer_add(metrics_observer())
