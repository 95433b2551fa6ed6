"""Client-key services: create, revoke, authenticate (cached, constant-time).

Secrets look like `lk-<prefix><rest>`; only a SHA-256 hash is stored (the secret is random and
long, so a fast hash is sound). Authentication looks the key up by prefix, compares hashes with
`hmac.compare_digest`, and caches the result per process for `LUTHIEN_KEY_CACHE_TTL_S`, so the
hot path does no query in steady state. `PROXY_API_KEY` is a bootstrap key from the environment.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from gateway.models import ApiKey
from wire.process_wide import Service

logger = logging.getLogger("gateway.keys")
SECRET_PREFIX = "lk-"
PREFIX_LEN = 8


@dataclass(frozen=True, slots=True)
class ClientIdentity:
    """Who is calling: the key's id (None for the bootstrap keys), name and rights. Only keys an
    admin granted it, and `PROXY_OVERRIDE_API_KEY`, may override the policy. `policy` is the
    saved policy assigned to the key or its group ("" for none). The rate limit fields are the
    key's own (None: the gateway's default, `gateway.rate_limit`)."""

    key_id: int | None
    name: str
    may_override_policy: bool = False
    policy: str = ""
    rate_limit_per_minute: int | None = None
    rate_limit_burst: int | None = None


def hash_secret(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(
    *,
    name: str,
    may_override_policy: bool = False,
    rate_limit_per_minute: int | None = None,
    rate_limit_burst: int | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the secret (shown once, never stored)."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name,
        prefix=secret[len(SECRET_PREFIX) : len(SECRET_PREFIX) + PREFIX_LEN],
        secret_hash=hash_secret(secret),
        may_override_policy=may_override_policy,
        rate_limit_per_minute=rate_limit_per_minute,
        rate_limit_burst=rate_limit_burst,
    )
    key_cache().clear()
    return key, secret


def api_key_revoke(*, key: ApiKey) -> None:
    """Deactivate a key (takes effect within the cache TTL on every worker)."""
    key.is_active = False
    key.save(update_fields=["is_active"])
    key_cache().clear()


def _lookup(secret: str) -> ClientIdentity | None:
    # Runs in a worker thread that no request signal cleans up: drop a connection that broke
    # (database restart) or outlived CONN_MAX_AGE before using it.
    close_old_connections()
    bootstrap = settings.PROXY_API_KEY
    if bootstrap and hmac.compare_digest(secret.encode(), bootstrap.encode()):
        return ClientIdentity(key_id=None, name="bootstrap", may_override_policy=False)
    override_key = settings.PROXY_OVERRIDE_API_KEY
    if override_key and hmac.compare_digest(secret.encode(), override_key.encode()):
        return ClientIdentity(key_id=None, name="bootstrap-override", may_override_policy=True)
    if not secret.startswith(SECRET_PREFIX):
        return None
    prefix = secret[len(SECRET_PREFIX) : len(SECRET_PREFIX) + PREFIX_LEN]
    wanted = hash_secret(secret)
    rows = ApiKey.objects.filter(prefix=prefix, is_active=True).select_related(
        "policy", "group__policy"
    )
    for key in rows:
        if hmac.compare_digest(key.secret_hash, wanted):
            return ClientIdentity(
                key.pk,
                key.name,
                key.may_override_policy,
                key.assigned_policy_name,
                key.rate_limit_per_minute,
                key.rate_limit_burst,
            )
    return None


class KeyCache:
    """Per-process cache of authentication results (positive and negative), with a TTL."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: dict[str, tuple[float, ClientIdentity | None]] = {}
        self._max = max_entries

    def get(self, digest: str) -> tuple[bool, ClientIdentity | None]:
        """(hit, identity) for a secret's digest."""
        entry = self._entries.get(digest)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, digest: str, identity: ClientIdentity | None) -> None:
        """Remember a result (negative results for a shorter time)."""
        if len(self._entries) >= self._max:
            self._entries.clear()
        ttl = settings.LUTHIEN_KEY_CACHE_TTL_S if identity else 2.0
        self._entries[digest] = (time.monotonic() + ttl, identity)

    def clear(self) -> None:
        """Forget everything (after a key change in this process)."""
        self._entries.clear()


_CACHE = Service("key cache", KeyCache)


def key_cache() -> KeyCache:
    """The process's key cache."""
    return _CACHE.get()


def key_cache_clear() -> None:
    """Forget every cached key check of this process (whichever cache is current)."""
    key_cache().clear()


async def client_key_authenticate(secret: str) -> ClientIdentity | None:
    """The identity for `secret`, or None. No query when cached."""
    if not secret:
        return None
    digest = hashlib.blake2b(secret.encode(), digest_size=16).hexdigest()
    cache = _CACHE.get()
    hit, identity = cache.get(digest)
    if hit:
        return identity
    identity = await sync_to_async(_lookup, thread_sensitive=False)(secret)
    cache.put(digest, identity)
    return identity


def secret_from_headers(headers: dict[str, str]) -> str:
    """The client's key from `Authorization: Bearer …` or `x-api-key` (lower-cased names)."""
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return headers.get("x-api-key", "").strip()
