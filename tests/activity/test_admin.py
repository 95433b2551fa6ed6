"""The read-only transaction admin: the changelist never reads bodies; nothing is editable."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activity.recorder import record_entry
from activity.services import transaction_batch_create

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.activity.admin_urls")]


@pytest.fixture
def stored(make_record) -> str:
    record = make_record(
        request_original={"messages": [{"role": "user", "content": "<script>alert(1)</script>"}]},
        decisions=[{"policy": "judge", "action": "blocked", "reason": "too risky"}],
    )
    transaction_batch_create(entries=[record_entry(record)])
    return record.id


def test_changelist_does_not_load_bodies(admin_client, stored):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse("admin:activity_transaction_changelist"))
    assert response.status_code == 200
    assert stored in response.content.decode()
    assert not any("activity_transactionbody" in q["sql"] for q in queries.captured_queries)


def test_changelist_filters_and_search(admin_client, stored):
    url = reverse("admin:activity_transaction_changelist")
    assert stored in admin_client.get(url, {"blocked__exact": "1"}).content.decode()
    assert stored not in admin_client.get(url, {"status__exact": "cancelled"}).content.decode()
    assert stored in admin_client.get(url, {"q": stored[:10]}).content.decode()


def test_changelist_filters_by_endpoint_without_scanning_for_values(admin_client, make_record):
    counted = make_record(endpoint="/v1/messages/count_tokens")
    proxied = make_record(endpoint="/v1/messages")
    transaction_batch_create(entries=[record_entry(counted), record_entry(proxied)])
    url = reverse("admin:activity_transaction_changelist")
    with CaptureQueriesContext(connection) as queries:
        html = admin_client.get(url, {"endpoint": "/v1/messages/count_tokens"}).content.decode()
    assert counted.id in html and proxied.id not in html
    distinct = [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"].upper()]
    assert distinct and not any("endpoint" in sql for sql in distinct)  # other filters do scan


def test_change_view_shows_escaped_bodies_and_events(admin_client, stored):
    response = admin_client.get(reverse("admin:activity_transaction_change", args=[stored]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "too risky" in html
    assert "&quot;choices&quot;: [" in html  # pretty-printed response
    assert 'name="_save"' not in html


def test_nothing_can_be_added_or_deleted(admin_client, stored):
    assert admin_client.get(reverse("admin:activity_transaction_add")).status_code == 403
    delete = reverse("admin:activity_transaction_delete", args=[stored])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
