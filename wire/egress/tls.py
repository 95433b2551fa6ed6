"""The one SSL context every upstream and judge connection verifies certificates with.

Trust, in order: `SSL_CERT_FILE` when set replaces the default roots (certifi's bundle, as
httpx uses), as it does for OpenSSL itself; `LUTHIEN_UPSTREAM_CA_BUNDLE` (a PEM file) is added
on top, so the CA of a TLS-inspecting proxy is trusted without losing the public roots (calls
that bypass the proxy through `NO_PROXY` still verify). ALPN offers HTTP/1.1 only.
"""

from __future__ import annotations

import ssl
from functools import lru_cache

import certifi
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def upstream_ssl_context() -> ssl.SSLContext:
    """The context for the current settings (one object per distinct configuration)."""
    return ssl_context_for(settings.SSL_CERT_FILE, settings.LUTHIEN_UPSTREAM_CA_BUNDLE)


@lru_cache(maxsize=4)
def ssl_context_for(cert_file: str, ca_bundle: str) -> ssl.SSLContext:
    """Verify against `cert_file` (or certifi's roots) plus `ca_bundle`; `ImproperlyConfigured`
    naming the variable when a file is missing or holds no usable certificate."""
    roots = cert_file or certifi.where()
    try:
        context = ssl.create_default_context(cafile=roots)
    except (OSError, ssl.SSLError) as error:
        raise _unusable("SSL_CERT_FILE", roots, error) from error
    if ca_bundle:
        try:
            context.load_verify_locations(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as error:
            raise _unusable("LUTHIEN_UPSTREAM_CA_BUNDLE", ca_bundle, error) from error
    context.set_alpn_protocols(["http/1.1"])
    return context


def _unusable(variable: str, path: str, error: OSError) -> ImproperlyConfigured:
    reason = error.strerror if not isinstance(error, ssl.SSLError) and error.strerror else error
    return ImproperlyConfigured(f"{variable}={path} cannot be used as CA certificates: {reason}")
