"""Fixtures for admin-managed policies: saved rows, admin credentials, the recorder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ADMIN_KEY = "test-admin-key"


@pytest.fixture
def admin_key(settings: Any) -> str:
    """The admin API key, configured."""
    settings.ADMIN_API_KEY = ADMIN_KEY
    return ADMIN_KEY


@pytest.fixture
def bearer(admin_key: str) -> dict[str, str]:
    """Test-client headers carrying the admin key."""
    return {"HTTP_AUTHORIZATION": f"Bearer {admin_key}"}


@pytest.fixture
def no_redis(settings: Any) -> None:
    """Use the database stamp (the default when REDIS_URL is unset)."""
    settings.REDIS_URL = ""


@pytest.fixture
def saved(transactional_db: None) -> Callable[..., Any]:
    """Create a saved policy through the service: saved(name, policy_class, config)."""
    from policies.services import policy_config_create

    def make(
        name: str,
        policy_class: str = "all-caps",
        config: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        return policy_config_create(
            name=name, policy_class=policy_class, config=config or {}, **kwargs
        )

    return make


@pytest.fixture
def recording(transactional_db: None, tmp_path: Path, settings: Any) -> Iterator[None]:
    """A fresh recorder writing to the test database; flushed at the end. The live broadcast
    is off: it is not under test here, and its sender task belongs to the test's event loop."""
    from activity.recorder import recorder

    settings.LUTHIEN_BROADCAST = False
    settings.LUTHIEN_SPILL_DIR = str(tmp_path / "spill")
    yield
    recorder().flush(timeout=10)


@pytest.fixture
def policy_file(tmp_path: Path, settings: Any) -> Callable[[str], str]:
    """Write a POLICY_CONFIG YAML file and point the setting at it."""

    def write(text: str) -> str:
        path = tmp_path / "policy.yaml"
        path.write_text(text)
        settings.POLICY_CONFIG = str(path)
        return str(path)

    return write
