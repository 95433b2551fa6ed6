"""Which headers cross the gateway: to the upstream, and back to the client.

Transparent by default: every client header goes to the upstream (beta flags, SDK telemetry,
idempotency keys, headers of client releases not written yet) except the ones that carry the
client's credentials or the gateway's own controls, describe this hop of the connection, or the
gateway sets itself. Every upstream response header comes back except the ones that describe the
upstream's hop or body encoding, or would set state (cookies, alternative services) for the
upstream's host on the gateway's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from wire.neutral import WireFormat
from wire.upstreams import Upstream

HOP_BY_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
CREDENTIAL_HEADERS: Final = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "x-goog-api-key",
        "cookie",
    }
)
"""Client credentials: the gateway key never leaves the gateway; the upstream gets its own."""
NOT_FORWARDED_REQUEST: Final = frozenset(
    {
        *HOP_BY_HOP,
        *CREDENTIAL_HEADERS,
        "host",
        "content-length",
        "content-type",
        "content-encoding",
        "accept-encoding",
        "expect",
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-real-ip",
    }
)
NOT_FORWARDED_RESPONSE: Final = frozenset(
    {
        *HOP_BY_HOP,
        "content-length",
        "content-type",
        "content-encoding",
        "date",
        "server",
        "set-cookie",
        "alt-svc",
        "strict-transport-security",
    }
)
GATEWAY_PREFIX: Final = "x-luthien-"
DEFAULT_ANTHROPIC_VERSION: Final = "2023-06-01"
USER_AGENT: Final = (
    "luthien-gateway"  # only when the client sent none: some upstreams refuse calls without one
)


def upstream_request_headers(
    upstream: Upstream, fmt: WireFormat, client_headers: Mapping[str, str]
) -> dict[str, str]:
    """Headers for the upstream call: the client's (see module docstring) plus the upstream's key.

    `client_headers` has lower-case names."""
    headers = {
        name: value
        for name, value in client_headers.items()
        if name not in NOT_FORWARDED_REQUEST and not name.startswith(GATEWAY_PREFIX)
    }
    headers["content-type"] = "application/json"
    headers.setdefault("user-agent", USER_AGENT)
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
    """Upstream response headers for the client: all but hop, encoding and host-state ones."""
    return {
        name: value
        for name, value in upstream_headers
        if name.lower() not in NOT_FORWARDED_RESPONSE
    }
