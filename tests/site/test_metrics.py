"""`/metrics`: protected, and counting what the proxy did (from the transaction observer),
per worker or summed over workers in multiprocess mode."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from prometheus_client import REGISTRY

from activity.recorder import recorder
from gateway.metrics import MetricsObserver
from gateway.transaction_record import TransactionRecord
from policies.context import Decision
from tests.gateway.integration.conftest import Proxy
from tests.lane import LaneClient

ROOT = Path(__file__).resolve().parents[2]
USER = [{"role": "user", "content": "hi"}]


def total(name: str, **labels: str) -> float:
    """The sum of every sample called `name` whose labels include `labels`."""
    found = 0.0
    for family in REGISTRY.collect():
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                found += sample.value
    return found


async def test_metrics_need_a_token(transactional_db: None, settings: Any) -> None:
    settings.LUTHIEN_METRICS_TOKEN = "scrape-token"
    settings.ADMIN_API_KEY = "admin-key"
    client = LaneClient()
    refused = await client.get("/metrics")
    assert refused.status_code == 401
    assert refused["www-authenticate"] == "Bearer"
    wrong = await client.get("/metrics", headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401
    for token in ("scrape-token", "admin-key"):
        reply = await client.get("/metrics", headers={"authorization": f"Bearer {token}"})
        assert reply.status_code == 200
        assert b"luthien_requests_total" in reply.content


def test_metrics_for_staff(admin_client: Any) -> None:
    assert admin_client.get("/metrics").status_code == 200


async def test_calls_are_counted(proxy: Proxy) -> None:
    labels = {"format": "openai", "upstream": "mock", "model": "mock/echo?usage_in=7&usage_out=3"}
    before = total("luthien_requests_total", outcome="completed", status_class="2xx", **labels)
    tokens_in = total("luthien_tokens_total", direction="in", upstream="mock")
    tokens_out = total("luthien_tokens_total", direction="out", upstream="mock")
    overhead = total("luthien_gateway_overhead_seconds_count", format="openai")
    ttft = total("luthien_time_to_first_byte_seconds_count", format="anthropic")

    body = {"model": "mock/echo?usage_in=7&usage_out=3", "messages": USER}
    assert (await proxy.openai(body)).status_code == 200
    streamed = await proxy.anthropic({**body, "max_tokens": 5, "stream": True})
    assert streamed.status_code == 200

    after = total("luthien_requests_total", outcome="completed", status_class="2xx", **labels)
    assert after == before + 1
    assert total("luthien_tokens_total", direction="in", upstream="mock") == tokens_in + 14
    assert total("luthien_tokens_total", direction="out", upstream="mock") == tokens_out + 6
    assert total("luthien_gateway_overhead_seconds_count", format="openai") == overhead + 1
    assert total("luthien_time_to_first_byte_seconds_count", format="anthropic") == ttft + 1
    assert total("luthien_active_requests") == 0  # every started call finished


async def test_refusals_and_upstream_errors_are_counted(proxy: Proxy, settings: Any) -> None:
    upstream_errors = total("luthien_requests_total", outcome="upstream_error", status_class="5xx")
    failing = {"model": "mock/error?status=502", "messages": USER}
    assert (await proxy.openai(failing)).status_code == 502
    assert (
        total("luthien_requests_total", outcome="upstream_error", status_class="5xx")
        == upstream_errors + 1
    )
    settings.LUTHIEN_RATE_LIMIT_PER_MINUTE = 1
    settings.LUTHIEN_RATE_LIMIT_BURST = 1
    rejected = total("luthien_requests_total", outcome="rejected", status_class="4xx")
    limited = total("luthien_rate_limited_total")
    echo = {"model": "mock/echo", "messages": USER}
    await proxy.openai(echo)
    assert (await proxy.openai(echo)).status_code == 429
    assert total("luthien_requests_total", outcome="rejected", status_class="4xx") == rejected + 1
    assert total("luthien_rate_limited_total") == limited + 1


async def test_recorder_events_are_counted(proxy: Proxy) -> None:
    written = total("luthien_recorder_events_total", event="written")
    assert (await proxy.openai({"model": "mock/echo", "messages": USER})).status_code == 200
    assert await sync_to_async(recorder().flush)(10)
    assert total("luthien_recorder_events_total", event="written") == written + 1


def test_decisions_and_outcomes() -> None:
    observer = MetricsObserver()
    record = TransactionRecord(id="t1", client_format="openai", policy_name="judge", stream=True)
    blocked = total("luthien_policy_decisions_total", policy="judge", action="blocked")
    observer.started(record)
    assert total("luthien_active_requests", stream="true") >= 1
    observer.decision(record, Decision(policy="judge", action="blocked", reason="rm -rf"))
    assert total("luthien_policy_decisions_total", policy="judge", action="blocked") == blocked + 1
    escalated = total("luthien_requests_total", policy="judge", outcome="escalated")
    record.decisions.append({"action": "escalated"})
    observer.finished(record)
    assert total("luthien_requests_total", policy="judge", outcome="escalated") == escalated + 1


def test_cancelled_calls_count_as_4xx_cancelled() -> None:
    observer = MetricsObserver()
    record = TransactionRecord(id="t2", client_format="anthropic", status="cancelled")
    record.http_status = 499
    before = total("luthien_requests_total", outcome="cancelled", status_class="4xx")
    observer.finished(record)
    assert total("luthien_requests_total", outcome="cancelled", status_class="4xx") == before + 1


WORKER = """
import django, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "luthien_site.settings"
django.setup()
from gateway.metrics import MetricsObserver
from gateway.transaction_record import TransactionRecord
observer = MetricsObserver()
for n in range(int(sys.argv[1])):
    observer.finished(TransactionRecord(id=str(n), client_format="openai", upstream="mock",
                                        model="m", policy_name="p"))
"""

SCRAPE = """
import django, os
os.environ["DJANGO_SETTINGS_MODULE"] = "luthien_site.settings"
django.setup()
from luthien_site.metrics_export import render_metrics
print(render_metrics().decode())
"""


@pytest.mark.parametrize("workers", [(2, 3)])
def test_multiprocess_mode_sums_workers(tmp_path: Path, workers: tuple[int, int]) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "SECRET_KEY": "x"}
    for count in workers:
        subprocess.run(
            [sys.executable, "-c", WORKER, str(count)], cwd=ROOT, env=env, check=True, timeout=60
        )
    scraped = subprocess.run(
        [sys.executable, "-c", SCRAPE],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout
    line = next(
        row
        for row in scraped.splitlines()
        if row.startswith("luthien_requests_total{") and 'model="m"' in row
    )
    assert float(line.rsplit(" ", 1)[1]) == sum(workers)
    assert json.dumps(sum(workers))  # 5 calls over two processes, one scrape


def test_dashboard_uses_only_metrics_that_exist() -> None:
    dashboard = json.loads((ROOT / "deploy" / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    used = {
        re.sub(r"_(bucket|count|sum)$", "", name)
        for expr in exprs
        for name in re.findall(r"luthien_[a-z_]+", expr)
    }
    exported = {
        sample.name
        for family in REGISTRY.collect()
        for sample in family.samples
        if sample.name.startswith("luthien_")
    } | {family.name for family in REGISTRY.collect()}
    exported = {re.sub(r"_(bucket|count|sum|total|created)$", "", n) for n in exported}
    missing = sorted(n for n in used if re.sub(r"_total$", "", n) not in exported)
    assert missing == []
    assert len(used) >= 12  # the dashboard covers the metric set
