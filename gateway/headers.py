"""Which headers cross the gateway: to the upstream, and back to the client.

The client's gateway key is never forwarded; the upstream gets its own credential.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gateway.neutral import WireFormat
from gateway.upstreams import Upstream

FORWARDED_REQUEST_HEADERS = frozenset(
    {
        "anthropic-version",
        "anthropic-beta",
        "openai-organization",
        "openai-project",
        "openai-beta",
        "idempotency-key",
    }
)
FORWARDED_RESPONSE_PREFIXES = (
    "request-id",
    "x-request-id",
    "anthropic-ratelimit-",
    "x-ratelimit-",
    "openai-processing-ms",
    "openai-version",
    "retry-after",
)
DEFAULT_ANTHROPIC_VERSION = "2023-06-01"
USER_AGENT = "luthien-gateway"  # some upstreams and firewalls refuse calls without one


def upstream_request_headers(
    upstream: Upstream, fmt: WireFormat, client_headers: Mapping[str, str]
) -> dict[str, str]:
    """Headers for the upstream call: forwarded client headers plus the upstream's key."""
    headers = {k: v for k, v in client_headers.items() if k in FORWARDED_REQUEST_HEADERS}
    headers["content-type"] = "application/json"
    headers["user-agent"] = USER_AGENT
    # Streams are read raw (no decompression per chunk): ask for uncompressed bodies.
    headers["accept-encoding"] = "identity"
    if fmt == "anthropic":
        headers.setdefault("anthropic-version", DEFAULT_ANTHROPIC_VERSION)
        if upstream.api_key:
            headers["x-api-key"] = upstream.api_key
    elif upstream.api_key:
        headers["authorization"] = f"Bearer {upstream.api_key}"
    return headers


def client_response_headers(upstream_headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Upstream response headers worth passing to the client (ids, rate limits)."""
    return {
        name: value
        for name, value in upstream_headers
        if name.lower().startswith(FORWARDED_RESPONSE_PREFIXES)
    }
