"""Transaction rows built directly (no proxy): metadata, the four bodies, decision events."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from activity.models import Transaction, TransactionBody, TransactionEvent

_UNSET: Any = object()


def openai_request(text: str, **extra: Any) -> dict[str, Any]:
    """A chat completions request with one user message."""
    return {"model": "mock/echo", "messages": [{"role": "user", "content": text}], **extra}


def openai_reply(
    text: str | None, *, tool_calls: list[dict[str, Any]] | None = None, finish: str = "stop"
) -> dict[str, Any]:
    """A chat completion with one choice."""
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "echo",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9},
    }


def tool_call(name: str, arguments: dict[str, Any], call_id: str = "call_1") -> dict[str, Any]:
    """An OpenAI tool call."""
    import json

    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


def make_transaction(
    *,
    started_at: datetime | None = None,
    status: str = "completed",
    model: str = "mock/echo",
    key: str = "ci-key",
    policy: str = "noop",
    blocked: bool = False,
    request: Any = _UNSET,
    request_final: Any = _UNSET,
    response: Any = _UNSET,
    response_final: Any = _UNSET,
    events: list[dict[str, Any]] | None = None,
    with_body: bool = True,
    **fields: Any,
) -> Transaction:
    """Create a transaction; bodies default to an echo of "hello there", unchanged."""
    started = started_at or timezone.now()
    request = openai_request("hello there") if request is _UNSET else request
    response = openai_reply("You said: hello there") if response is _UNSET else response
    row = Transaction.objects.create(
        id=uuid.uuid4().hex,
        started_at=started,
        ended_at=started + timedelta(milliseconds=120),
        client_format=fields.pop("client_format", "openai"),
        model=model,
        upstream="mock",
        upstream_model=model.split("/")[-1],
        status=status,
        api_key_name=key,
        policy_name=policy,
        policy_version=fields.pop("policy_version", 1),
        blocked=blocked or status == "blocked",
        decision_count=len(events or []),
        latency_ms=fields.pop("latency_ms", 120.0),
        overhead_ms=fields.pop("overhead_ms", 1.25),
        input_tokens=5,
        output_tokens=4,
        **fields,
    )
    if with_body:
        TransactionBody.objects.create(
            transaction=row,
            request_original=request,
            request_final=request if request_final is _UNSET else request_final,
            response_original=response,
            response_final=response if response_final is _UNSET else response_final,
        )
    for seq, event in enumerate(events or []):
        TransactionEvent.objects.create(
            transaction=row,
            seq=seq,
            at=started + timedelta(milliseconds=10 * (seq + 1)),
            policy=event.get("policy", policy),
            action=event["action"],
            reason=event.get("reason", ""),
            details=event.get("details", {}),
        )
    return row
