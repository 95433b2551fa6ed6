"""A real gateway process behind a corporate-style egress: the proxy and the CA come from its
environment (`https_proxy`, `LUTHIEN_UPSTREAM_CA_BUNDLE`), the upstream is the mock process
over HTTPS under a name only the proxy resolves, and the official SDKs are the clients."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import database_url_for_tests
from tests.e2e.servers import Server, free_port, gateway_env, start_gateway, start_mock
from tests.e2e.test_gateway_sdks import ant, oai, wait_recorded
from tests.wire.egress.support import UPSTREAM_NAME, ConnectProxy, ThrowawayCA

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

USER = [{"role": "user", "content": "through the proxy"}]


@pytest.fixture(scope="module")
def ca(tmp_path_factory: Any) -> ThrowawayCA:
    return ThrowawayCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def tls_mock_process(ca: ThrowawayCA) -> Iterator[Server]:
    """`python -m wire.mock --ssl-certfile …`."""
    trust = ssl.create_default_context(cafile=str(ca.pem))
    server = start_mock(certfile=str(ca.server_pem), trust=trust)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def egress_proxy() -> Iterator[ConnectProxy]:
    with ConnectProxy(resolve={UPSTREAM_NAME: "127.0.0.1"}) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def proxied_gateway(
    django_db_setup: Any,
    django_db_blocker: Any,
    tmp_path_factory: Any,
    ca: ThrowawayCA,
    tls_mock_process: Server,
    egress_proxy: ConnectProxy,
) -> Iterator[Server]:
    """A gateway whose environment names the proxy (lower case winning over a dead upper-case
    one) and the CA bundle; nothing in its settings names either."""
    with django_db_blocker.unblock():
        database_url = database_url_for_tests()
    env = gateway_env(
        database_url,
        f"https://{UPSTREAM_NAME}:{tls_mock_process.port}",
        LUTHIEN_SPILL_DIR=str(tmp_path_factory.mktemp("spill")),
        https_proxy=egress_proxy.url,
        HTTPS_PROXY=f"http://127.0.0.1:{free_port()}",  # nobody listens: must not be used
        http_proxy="",
        HTTP_PROXY="",
        no_proxy="",
        NO_PROXY="",
        LUTHIEN_UPSTREAM_PROXY="",
        LUTHIEN_UPSTREAM_CA_BUNDLE=str(ca.pem),
    )
    server = start_gateway(env)
    yield server
    server.stop()


def test_sdk_calls_reach_the_tls_upstream_through_the_proxy(
    proxied_gateway: Server, egress_proxy: ConnectProxy, tls_mock_process: Server, e2e_key: str
) -> None:
    completion = oai(proxied_gateway, e2e_key).chat.completions.with_raw_response.create(
        model="mock/echo", messages=USER
    )
    assert completion.parse().choices[0].message.content == "You said: through the proxy"
    with ant(proxied_gateway, e2e_key).messages.stream(
        model="mock/text?chunks=4", max_tokens=50, messages=USER
    ) as stream:
        message = stream.get_final_message()
    assert message.stop_reason == "end_turn" and message.content[0].type == "text"
    assert set(egress_proxy.seen.connects) == {f"{UPSTREAM_NAME}:{tls_mock_process.port}"}
    row = wait_recorded(completion.headers["x-luthien-transaction-id"])
    assert row.status == "completed"
