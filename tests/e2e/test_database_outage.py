"""Fault: the database is unreachable. Clients are served; nothing is lost: records spill to
disk, and a gateway started later against a working database replays them."""

from __future__ import annotations

import time
from pathlib import Path

import openai
import pytest

from activity.models import Transaction
from tests.e2e.conftest import database_url_for_tests
from tests.e2e.servers import Server, gateway_env, start_gateway

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
BOOTSTRAP = "outage-bootstrap-key"


def _ask(server: Server, text: str, stream: bool) -> str:
    client = openai.OpenAI(base_url=server.url + "/v1", api_key=BOOTSTRAP, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="mock/echo", messages=[{"role": "user", "content": text}], stream=stream
    )
    if stream:
        chunks = list(raw.parse())
        content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    else:
        content = raw.parse().choices[0].message.content or ""
    assert content == f"You said: {text}"
    return raw.headers["x-luthien-transaction-id"]


def test_database_down_then_back(mock_server: Server, tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    broken_db = f"sqlite:///{tmp_path}/missing-dir/nowhere.sqlite3"
    down = start_gateway(
        gateway_env(
            broken_db, mock_server.url, PROXY_API_KEY=BOOTSTRAP, LUTHIEN_SPILL_DIR=str(spill)
        )
    )
    try:
        health = openai.OpenAI(base_url=down.url, api_key="x")._client.get(down.url + "/health")
        assert health.json()["components"]["database"]["reachable"] is False
        assert health.json()["status"] == "degraded"
        ids = [_ask(down, "first", False), _ask(down, "second", True), _ask(down, "third", False)]
    finally:
        down.stop()  # SIGTERM: the recorder flushes what it holds into the spill file
    spilled = "".join(p.read_text() for p in spill.glob("*.jsonl"))
    assert all(transaction_id in spilled for transaction_id in ids)
    assert Transaction.objects.filter(id__in=ids).count() == 0

    back = start_gateway(
        gateway_env(
            database_url_for_tests(),
            mock_server.url,
            PROXY_API_KEY=BOOTSTRAP,
            LUTHIEN_SPILL_DIR=str(spill),
        )
    )
    try:
        deadline = time.monotonic() + 20
        while Transaction.objects.filter(id__in=ids).count() < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        rows = {row.id: row for row in Transaction.objects.filter(id__in=ids)}
        assert set(rows) == set(ids)
        assert all(
            row.status == "completed" and row.api_key_name == "bootstrap" for row in rows.values()
        )
        assert rows[ids[1]].stream is True
    finally:
        back.stop()
    assert not list(spill.glob("*.jsonl")) or all(
        p.read_text().strip() == "" for p in spill.glob("*.jsonl")
    )
