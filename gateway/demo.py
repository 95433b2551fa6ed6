"""Demo seeding for `make run`: a fresh demo client key and a staff login for the pages."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from gateway.keys import api_key_create
from gateway.models import ApiKey

DEMO_KEY_NAME = "demo"
DEMO_ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class DemoCredentials:
    """What `make run` prints: the demo key and the staff login."""

    api_key: str
    username: str
    password: str


def demo_seed() -> DemoCredentials:
    """Rotate the demo key (secrets are never stored, so it cannot be shown again) and reset the
    demo staff user's password. Development only."""
    ApiKey.objects.filter(name=DEMO_KEY_NAME).delete()
    _, secret = api_key_create(name=DEMO_KEY_NAME, may_override_policy=False)
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(
        username=DEMO_ADMIN, defaults={"is_staff": True, "is_superuser": True}
    )
    password = secrets.token_urlsafe(12)
    user.set_password(password)
    user.is_staff = user.is_superuser = True
    user.save()
    return DemoCredentials(api_key=secret, username=DEMO_ADMIN, password=password)
