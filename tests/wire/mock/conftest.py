"""Fixtures: official SDK clients talking to the mock upstream in-process."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

# Without pytest-django (`-p no:django`) nothing puts the project root on sys.path.
_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import anthropic  # noqa: E402
import httpx  # noqa: E402
import httpx2  # noqa: E402
import openai  # noqa: E402
import pytest  # noqa: E402

from wire.mock.transport import MockUpstreamTransport  # noqa: E402
from wire.mock.transport_httpx2 import Httpx2MockUpstreamTransport  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_singletons() -> Iterator[None]:
    """Override the project-wide singleton reset: the mock uses none, and must run without Django
    (`-p no:django`)."""
    yield


@pytest.fixture
async def openai_client() -> AsyncIterator[openai.AsyncOpenAI]:
    """`openai.AsyncOpenAI` over `httpx.AsyncClient(transport=MockUpstreamTransport())`."""
    http_client = httpx.AsyncClient(transport=MockUpstreamTransport())
    client = openai.AsyncOpenAI(
        base_url="http://mock/v1", api_key="x", max_retries=0, http_client=http_client
    )
    yield client
    await client.close()
    await http_client.aclose()


@pytest.fixture
async def anthropic_client() -> AsyncIterator[anthropic.AsyncAnthropic]:
    """`anthropic.AsyncAnthropic` over httpx2 (the only client type that SDK accepts)."""
    http_client = httpx2.AsyncClient(transport=Httpx2MockUpstreamTransport())
    client = anthropic.AsyncAnthropic(
        base_url="http://mock", api_key="x", max_retries=0, http_client=http_client
    )
    yield client
    await client.close()
    await http_client.aclose()
