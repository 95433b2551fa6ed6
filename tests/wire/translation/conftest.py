"""Codec tests are pure: no Django, no database, no per-process singletons to reset."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_singletons() -> Iterator[None]:
    """Override the project-wide reset, which imports Django-backed modules."""
    yield
