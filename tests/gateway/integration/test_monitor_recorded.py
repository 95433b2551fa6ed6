"""`monitor` on the record: a deferred or edited step keeps both answers, in the transaction's
decisions and in its original-vs-final response diff."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async

from activity.diffs import transaction_diffs
from activity.models import Transaction
from activity.recorder import recorder
from policies.active import ActivePolicy
from policies.builtin.monitor import MonitorPolicy
from policies.runtime import policy_runtime
from tests.gateway.integration.conftest import Proxy, read_stream
from wire.mock.trusted import DEFERRED_TEXT, SAFE_COMMAND

BAND = {"scorer": "judge", "judge": {"model": "mock/judge?p=0.5"}, "defer_threshold": 0.3}
USER = [{"role": "user", "content": "rm -rf ~"}]


def activate(config: dict[str, object]) -> None:
    policy = MonitorPolicy.from_config(config, label="monitor")
    policy_runtime().set(ActivePolicy(policy=policy, name="monitor", version=1, source="test"))


async def _stored(transaction_id: str) -> Transaction:
    await sync_to_async(recorder().flush)(10)
    return await Transaction.objects.select_related("body").aget(id=transaction_id)


@pytest.mark.parametrize("stream", [False, True])
async def test_a_deferred_step_keeps_both_answers(proxy: Proxy, stream: bool) -> None:
    activate({**BAND, "trusted_action": "defer"})
    response = await proxy.openai({"model": "mock/text-tool", "messages": USER, "stream": stream})
    assert response.status_code == 200
    if stream:
        await read_stream(response)
    row = await _stored(response["x-luthien-transaction-id"])
    events = [e async for e in row.events.order_by("seq")]
    assert [(e.policy, e.action) for e in events] == [
        ("monitor", "scored"),
        ("monitor", "deferred"),
    ]
    assert events[0].details["score"] == 0.5 and events[0].details["outcome"] == "defer"
    assert events[1].details["untrusted"]["arguments"] == {"command": "rm -rf ~"}
    assert events[1].details["trusted"] == [{"text": DEFERRED_TEXT}]
    _request, diff = await sync_to_async(transaction_diffs)(row.body)
    original, final = "\n".join(diff.original), "\n".join(diff.final)
    assert "rm -rf ~" in original and DEFERRED_TEXT not in original
    assert DEFERRED_TEXT in final and "[tool call]" not in final


async def test_an_edited_call_shows_both_argument_sets(proxy: Proxy) -> None:
    activate({**BAND, "trusted_action": "edit"})
    body = {"model": "mock/text-tool", "max_tokens": 64, "messages": USER, "stream": True}
    response = await proxy.anthropic(body)
    await read_stream(response)
    row = await _stored(response["x-luthien-transaction-id"])
    edited = await row.events.aget(action="edited")
    assert edited.details["before"] == {"command": "rm -rf ~"}
    assert edited.details["after"] == {"command": SAFE_COMMAND}
    _request, diff = await sync_to_async(transaction_diffs)(row.body)
    assert diff.changed
    assert json.dumps(SAFE_COMMAND)[1:-1] in "\n".join(diff.final)
    assert "rm -rf ~" in "\n".join(diff.original)
