"""Fixtures of the outbound-proxy tests: one throwaway CA and one TLS mock per module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.wire.egress.support import UPSTREAM_NAME, ConnectProxy, ThrowawayCA, TlsMock


@pytest.fixture(scope="module")
def throwaway_ca(tmp_path_factory: Any) -> ThrowawayCA:
    """A CA nobody trusts unless told to, and the upstream's certificate from it."""
    return ThrowawayCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def tls_mock(throwaway_ca: ThrowawayCA) -> Iterator[TlsMock]:
    """The mock upstream over HTTPS (`upstream.test` through the proxy, or 127.0.0.1)."""
    with TlsMock(throwaway_ca) as mock:
        yield mock


@pytest.fixture
def connect_proxy() -> Iterator[ConnectProxy]:
    """A fresh recording proxy that resolves `upstream.test` to 127.0.0.1."""
    with ConnectProxy(resolve={UPSTREAM_NAME: "127.0.0.1"}) as proxy:
        yield proxy
