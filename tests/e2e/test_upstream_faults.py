"""Upstream faults over real HTTP: a real gateway process, a real mock process, the SDKs.

What the client sees and what is recorded when the upstream drops a stream, goes silent, cannot
be reached, or restarts under the gateway's pooled keep-alive connections.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from activity.models import Transaction
from tests.e2e.conftest import database_url_for_tests
from tests.e2e.servers import Server, free_port, gateway_env, start_gateway, start_mock
from tests.e2e.test_gateway_sdks import ant, oai, wait_recorded

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

READ_TIMEOUT_S = 0.5
USER = [{"role": "user", "content": "x"}]


@pytest.fixture(scope="module")
def mock_process() -> Iterator[Server]:
    """A mock of this module's own (the restart test stops and restarts it)."""
    server = start_mock()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def impatient_gateway(
    django_db_setup: Any,
    django_db_blocker: Any,
    mock_process: Server,
    tmp_path_factory: Any,
) -> Iterator[Server]:
    """A gateway with a short read timeout and an extra upstream nobody listens on."""
    with django_db_blocker.unblock():
        database_url = database_url_for_tests()
    env = gateway_env(
        database_url,
        mock_process.url,
        LUTHIEN_SPILL_DIR=str(tmp_path_factory.mktemp("spill")),
        LUTHIEN_UPSTREAM_READ_TIMEOUT_S=str(READ_TIMEOUT_S),
        LUTHIEN_EXTRA_UPSTREAMS=f"down=http://127.0.0.1:{free_port()}/v1",
    )
    server = start_gateway(env)
    yield server
    server.stop()


def _latest(model: str) -> Transaction:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        row = Transaction.objects.filter(model=model).order_by("-started_at").first()
        if row is not None:
            return row
        time.sleep(0.05)
    raise AssertionError(f"no transaction recorded for {model}")


def _anthropic_stream_fails(gateway: Server, key: str, model: str) -> Transaction:
    """Stream `model` with the Anthropic SDK, which must raise; the recorded transaction."""
    with (
        pytest.raises(anthropic.APIError),
        ant(gateway, key).messages.stream(model=model, max_tokens=50, messages=USER) as stream,
    ):
        stream.get_final_message()
    return _latest(model)


def test_stream_dropped_by_the_upstream_ends_with_an_error(
    impatient_gateway: Server, e2e_key: str
) -> None:
    model = "mock/text?chunks=20&abort_after=4"
    received: list[str] = []
    with pytest.raises(openai.APIError):
        stream = oai(impatient_gateway, e2e_key).chat.completions.create(
            model=model, messages=USER, stream=True
        )
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content)
    assert received  # what arrived before the drop was relayed
    row = _latest(model)
    assert row.status == "upstream_error"
    assert row.http_status == 200  # the stream had begun
    assert "dropped the connection mid-response" in row.error


def test_anthropic_stream_dropped_by_the_upstream_ends_with_an_error(
    impatient_gateway: Server, e2e_key: str
) -> None:
    row = _anthropic_stream_fails(impatient_gateway, e2e_key, "mock/text?chunks=20&abort_after=4")
    assert row.status == "upstream_error"


def test_silent_upstream_is_a_504_after_the_read_timeout(
    impatient_gateway: Server, e2e_key: str
) -> None:
    model = "mock/echo?ttfb_ms=3000"
    with pytest.raises(openai.APIStatusError) as error:
        oai(impatient_gateway, e2e_key).chat.completions.create(model=model, messages=USER)
    assert error.value.status_code == 504  # had it waited the 3 s out, the call would succeed
    assert _latest(model).status == "upstream_error"


def test_stream_that_stalls_past_the_read_timeout_ends_with_an_error(
    impatient_gateway: Server, e2e_key: str
) -> None:
    row = _anthropic_stream_fails(impatient_gateway, e2e_key, "mock/text?chunks=5&delay_ms=3000")
    assert row.status == "upstream_error"
    assert "timed out" in row.error


def test_unreachable_upstream_is_a_502(impatient_gateway: Server, e2e_key: str) -> None:
    with pytest.raises(openai.APIStatusError) as error:
        oai(impatient_gateway, e2e_key).chat.completions.create(model="down/model", messages=USER)
    assert error.value.status_code == 502
    assert "unreachable" in str(error.value)
    assert _latest("down/model").status == "upstream_error"


def test_pooled_connections_survive_an_upstream_restart(
    impatient_gateway: Server, mock_process: Server, e2e_key: str
) -> None:
    """Keep-alive connections to a restarted upstream are dead; the next calls must not fail."""
    client = oai(impatient_gateway, e2e_key)
    for _ in range(3):  # warm the gateway's pool
        client.chat.completions.create(model="mock/echo", messages=USER)
    mock_process.stop()
    restarted = start_mock(mock_process.port)
    mock_process.process = restarted.process
    for attempt in range(5):
        raw = client.chat.completions.with_raw_response.create(
            model="mock/echo", messages=[{"role": "user", "content": f"again {attempt}"}]
        )
        assert raw.parse().choices[0].message.content == f"You said: again {attempt}"
        assert wait_recorded(raw.headers["x-luthien-transaction-id"]).status == "completed"
