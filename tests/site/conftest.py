"""The proxy fixtures of the integration tests, for site endpoints that count proxy calls."""

from tests.gateway.integration.conftest import _recorder, api_key, plain_key, proxy

__all__ = ["_recorder", "api_key", "plain_key", "proxy"]
