"""The session's recent tool calls, read from recorded transactions (for the approval pages).

A reviewer deciding on a held call wants to see what the same agent did just before: the tool
calls in the final responses of the session's latest transactions. Only the newest few bodies
are read, one query each way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from activity.models import Transaction, TransactionBody

MAX_ARGUMENT_CHARS = 300


@dataclass(frozen=True, slots=True)
class SessionCall:
    """One tool call the model made earlier in the session."""

    transaction_id: str
    started_at: datetime
    status: str
    name: str
    arguments: str


def session_recent_calls(
    *, session_id: str, exclude_transaction: str = "", transactions: int = 5
) -> list[SessionCall]:
    """Tool calls of the session's latest `transactions` calls (newest first)."""
    if not session_id:
        return []
    rows = list(
        Transaction.objects.filter(session_id=session_id)
        .exclude(id=exclude_transaction)
        .order_by("-started_at")
        .values("id", "started_at", "status")[:transactions]
    )
    bodies = dict(
        TransactionBody.objects.filter(transaction_id__in=[r["id"] for r in rows]).values_list(
            "transaction_id", "response_final"
        )
    )
    calls: list[SessionCall] = []
    for row in rows:
        for name, arguments in response_tool_calls(bodies.get(row["id"])):
            calls.append(SessionCall(row["id"], row["started_at"], row["status"], name, arguments))
    return calls


def response_tool_calls(response: Any) -> list[tuple[str, str]]:
    """(name, arguments as short text) of the tool calls in an OpenAI or Anthropic response."""
    if not isinstance(response, dict):
        return []
    found: list[tuple[str, Any]] = []
    for block in response.get("content") or []:  # Anthropic
        if isinstance(block, dict) and block.get("type") == "tool_use":
            found.append((str(block.get("name", "")), block.get("input")))
    for choice in response.get("choices") or []:  # OpenAI
        message = choice.get("message") if isinstance(choice, dict) else None
        for call in (message or {}).get("tool_calls") or []:
            function = call.get("function") or {} if isinstance(call, dict) else {}
            found.append((str(function.get("name", "")), function.get("arguments")))
    return [(name, _short(arguments)) for name, arguments in found]


def _short(arguments: Any) -> str:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return text if len(text) <= MAX_ARGUMENT_CHARS else text[: MAX_ARGUMENT_CHARS - 1] + "…"
