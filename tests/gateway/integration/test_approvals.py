"""The approval queue through the production path, both formats, streamed and not: a held call
is released as it was (approve), becomes the reviewer's reason (deny), carries the reviewer's
arguments (edit), falls to the policy's default with a readable message (timeout), and is
withdrawn when the client leaves; the stream stays alive while it waits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from activity.models import Transaction
from activity.recorder import recorder
from policies.services import policy_enable
from tests.gateway.integration.approval_support import (
    ADMIN_KEY,
    COMMAND,
    TOOL_TEXT,
    RawCall,
    admin_post,
    approval_status,
    decide,
    fresh_channel_layer,  # noqa: F401
    pending_approval,
    request_body,
    until,
    waiting,
)
from tests.gateway.integration.sse_helpers import anthropic_stream_text, openai_stream_text

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_channel_layer"),
]
FORMATS = ["anthropic", "openai"]
PING = {"anthropic": b"event: ping\n", "openai": b": keep-alive\n\n"}


@pytest.fixture(autouse=True)
def _settings(settings: Any) -> None:
    settings.ADMIN_API_KEY = ADMIN_KEY
    settings.LUTHIEN_STREAM_KEEPALIVE_S = 0.02
    settings.LUTHIEN_APPROVAL_POLL_S = 0.2


async def _enable(**config: Any) -> None:
    await sync_to_async(policy_enable)(
        policy_class="require-approval", config={"tools": ["Bash"], **config}
    )


def _answer(fmt: str, stream: bool, body: bytes) -> tuple[str, list[dict[str, Any]], str | None]:
    """Text, tool calls (name, arguments text) and stop reason, whichever the shape."""
    if stream:
        return (anthropic_stream_text if fmt == "anthropic" else openai_stream_text)(body)
    data = json.loads(body)
    if fmt == "anthropic":
        text = "".join(b["text"] for b in data["content"] if b["type"] == "text")
        calls = [
            {"name": b["name"], "arguments": json.dumps(b["input"])}
            for b in data["content"]
            if b["type"] == "tool_use"
        ]
        return text, calls, data["stop_reason"]
    message = data["choices"][0]["message"]
    calls = [
        {"name": c["function"]["name"], "arguments": c["function"]["arguments"]}
        for c in message.get("tool_calls") or []
    ]
    return message.get("content") or "", calls, data["choices"][0]["finish_reason"]


async def _events(transaction_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    await sync_to_async(recorder().flush)(timeout=10)

    def read() -> list[tuple[str, str, dict[str, Any]]]:
        row = Transaction.objects.get(id=transaction_id)
        return [(e.action, e.reason, e.details) for e in row.events.order_by("seq")]

    return await sync_to_async(read)()


async def _held(fmt: str, stream: bool, api_key: str) -> tuple[RawCall, Any]:
    call = RawCall(fmt, request_body(fmt, stream=stream), api_key).start()
    approval = await pending_approval()
    if stream:  # the client's stream is alive while the call waits
        await until(waiting(call, PING[fmt]), "a keep-alive")
    return call, approval


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("fmt", FORMATS)
async def test_approve_releases_the_original_call(fmt: str, stream: bool, api_key: str) -> None:
    await _enable()
    call, approval = await _held(fmt, stream, api_key)
    assert approval.tool_name == "Bash"
    assert json.loads(approval.arguments) == {"command": COMMAND}
    assert TOOL_TEXT in approval.context_text
    assert approval.reason == "the tool Bash needs approval"
    assert not call.done
    decided = await decide(approval.id.hex, "approve", reason="looks fine")
    assert decided["status"] == "approved" and decided["decided_by"] == "admin API key"
    body = await call.finish()
    assert call.status == 200
    text, calls, stop = _answer(fmt, stream, body)
    assert TOOL_TEXT in text
    assert [(c["name"], json.loads(c["arguments"])) for c in calls] == [
        ("Bash", {"command": COMMAND})
    ]
    assert stop in ("tool_use", "tool_calls")
    events = await _events(approval.transaction_id)
    actions = [action for action, _, _ in events]
    assert actions == ["escalated", "approved"]
    assert events[1][2]["by"] == "admin API key" and events[1][2]["edited"] is False


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("fmt", FORMATS)
async def test_deny_gives_the_reason(fmt: str, stream: bool, api_key: str) -> None:
    await _enable()
    call, approval = await _held(fmt, stream, api_key)
    await decide(approval.id.hex, "deny", reason="not on the shared runner, please")
    text, calls, stop = _answer(fmt, stream, await call.finish())
    assert calls == []
    assert "⛔ Luthien blocked a tool call" in text
    assert "denied this call: not on the shared runner, please" in text
    assert stop in ("end_turn", "stop")
    events = await _events(approval.transaction_id)
    assert [action for action, _, _ in events] == ["escalated", "denied"]
    row = await sync_to_async(Transaction.objects.get)(id=approval.transaction_id)
    assert row.status == "blocked"


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("fmt", FORMATS)
async def test_edit_changes_the_arguments(fmt: str, stream: bool, api_key: str) -> None:
    await _enable()
    call, approval = await _held(fmt, stream, api_key)
    await decide(approval.id.hex, "approve", arguments={"command": "rm -rf build/tmp"})
    _, calls, _ = _answer(fmt, stream, await call.finish())
    assert [(c["name"], json.loads(c["arguments"])) for c in calls] == [
        ("Bash", {"command": "rm -rf build/tmp"})
    ]
    events = await _events(approval.transaction_id)
    assert events[-1][0] == "approved" and events[-1][2]["edited"] is True
    assert events[-1][2]["arguments"] == {"command": "rm -rf build/tmp"}


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("fmt", FORMATS)
async def test_timeout_gives_the_default_with_a_readable_message(
    fmt: str, stream: bool, api_key: str
) -> None:
    await _enable(approval_timeout_s=0.3)
    call = RawCall(fmt, request_body(fmt, stream=stream), api_key).start()
    text, calls, _ = _answer(fmt, stream, await call.finish())
    assert calls == []
    assert "nobody approved it within 0.3 seconds (the policy denies by default)" in text
    approval = (
        await sync_to_async(list)(__import__("policies").models.PendingApproval.objects.all())
    )[0]
    assert approval.status == "timed_out"


@pytest.mark.parametrize("fmt", FORMATS)
async def test_timeout_default_allow_releases_the_call(fmt: str, api_key: str) -> None:
    await _enable(approval_timeout_s=0.2, approval_default="allow")
    call = RawCall(fmt, request_body(fmt, stream=True), api_key).start()
    _, calls, _ = _answer(fmt, True, await call.finish())
    assert [c["name"] for c in calls] == ["Bash"]


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("fmt", FORMATS)
async def test_disconnect_withdraws(fmt: str, stream: bool, api_key: str) -> None:
    await _enable()
    call, approval = await _held(fmt, stream, api_key)
    call.disconnect()
    await call.finish()
    await until(lambda: _is(approval.id, "withdrawn"), "the approval to be withdrawn")
    events = await _events(approval.transaction_id)
    assert [action for action, _, _ in events] == ["escalated", "withdrawn"]
    row = await sync_to_async(Transaction.objects.get)(id=approval.transaction_id)
    assert row.status == "cancelled"
    late = await _post_decision(approval.id.hex)
    assert late.status_code == 409


async def _is(approval_id: Any, status: str) -> bool:
    return await approval_status(approval_id) == status


async def _post_decision(approval_id: str) -> Any:
    return await admin_post(f"/api/admin/approvals/{approval_id}/approve", {})


def test_waiting_for_a_reviewer_is_not_gateway_overhead() -> None:
    from gateway.timing import RequestClock

    clock = RequestClock()
    clock.upstream_wait, clock.client_wait, clock.approval_wait = 2.0, 1.0, 5.0
    assert clock.overhead_ms(clock.started + 10.0) == pytest.approx(2000.0)
