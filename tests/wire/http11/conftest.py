"""The HTTP/1.1 transport tests are pure asyncio: no Django, so no project-wide reset."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_singletons() -> Iterator[None]:
    """Overrides `tests/conftest.py`'s reset (it needs Django's settings)."""
    yield
