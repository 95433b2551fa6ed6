"""Admin API authentication: the `ADMIN_API_KEY` bearer token, or a staff session with CSRF.

No credentials → 401; a logged-in user who is not staff → 403; a staff session whose unsafe
request lacks the CSRF token → 403; a write by a staff user without the
`policies.change_policyconfig` permission (e.g. a reviewer) → 403. `request.auth` is the
`Actor` recorded in history.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthorizationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from policies.services import Actor

ADMIN_KEY_ACTOR = "admin API key"
CHANGE_PERMISSION = "policies.change_policyconfig"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class AdminKeyAuth(HttpBearer):
    """`Authorization: Bearer <ADMIN_API_KEY>`, compared in constant time."""

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        expected = settings.ADMIN_API_KEY
        if expected and hmac.compare_digest(token.encode(), expected.encode()):
            return Actor(label=ADMIN_KEY_ACTOR)
        return None


class StaffSessionAuth(APIKeyCookie):
    """A Django session of a staff user; unsafe methods must carry the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)  # CSRF is checked once the user is known

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        user: Any = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not user.is_staff:
            raise AuthorizationError(message="staff only")
        if check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed")
        if request.method not in SAFE_METHODS and not user.has_perm(CHANGE_PERMISSION):
            raise HttpError(403, f"changing policies needs the {CHANGE_PERMISSION} permission")
        return Actor(user=user)


admin_auth = [AdminKeyAuth(), StaffSessionAuth()]
