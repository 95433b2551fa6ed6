"""Who is calling: the gateway key check shared by every authenticated `/v1/` endpoint."""

from __future__ import annotations

import logging

from gateway.keys import ClientIdentity, client_key_authenticate, secret_from_headers
from gateway.metrics import count_auth_failure
from wire.errors import AuthenticationFailed
from wire.neutral import WireFormat

logger = logging.getLogger("gateway.auth")


async def client_authenticate(
    headers: dict[str, str], *, fmt: WireFormat, path: str
) -> ClientIdentity:
    """The identity of the key in `headers` (lower-case names); raises AuthenticationFailed,
    counted and logged, when the key is missing or unknown."""
    identity = await client_key_authenticate(secret_from_headers(headers))
    if identity is None:
        count_auth_failure(fmt)
        logger.warning("authentication failed on %s (%s)", path, fmt)
        raise AuthenticationFailed(
            "invalid or missing API key: send it as `Authorization: Bearer <key>` or "
            "`x-api-key: <key>`"
        )
    return identity
