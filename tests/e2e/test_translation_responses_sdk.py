"""End to end: the official `openai` SDK's Responses API (`responses.create`, `responses.stream`)
reaching an Anthropic-format model through a real gateway process, which translates; the
upstream is a real mock process answering in the Messages format (`anthropic/<behaviour>`)."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from tests.e2e.servers import Server
from tests.e2e.test_gateway_sdks import oai, wait_recorded
from tests.e2e.test_translation_sdks import BLOCK, cross_gateway, guard  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHELL: Any = {
    "type": "function",
    "name": "Bash",
    "description": "Run a shell command",
    "parameters": {"type": "object", "properties": {"command": {"type": "string"}}},
    "strict": False,
}
READ: Any = {
    "type": "function",
    "name": "Read",
    "parameters": {"type": "object", "properties": {}},
    "strict": False,
}


def test_responses_create_text_from_anthropic_upstream(
    cross_gateway: Server,  # noqa: F811
    e2e_key: str,
) -> None:
    raw = oai(cross_gateway, e2e_key).responses.with_raw_response.create(
        model="anthropic/echo", instructions="You are terse.", input="hi across", store=False
    )
    response = raw.parse()
    assert response.output_text == "You said: hi across"
    assert response.status == "completed"
    assert response.usage is not None and response.usage.output_tokens > 0
    row = wait_recorded(raw.headers["x-luthien-transaction-id"])
    assert (row.client_format, row.upstream_format, row.status) == (
        "responses",
        "anthropic",
        "completed",
    )
    sent = row.body.request_final
    assert sent["system"] == "You are terse." and sent["max_tokens"] == 4096


def test_responses_stream_tool_calls_then_results(
    cross_gateway: Server,  # noqa: F811
    e2e_key: str,
) -> None:
    client = oai(cross_gateway, e2e_key)
    with client.responses.stream(
        model="anthropic/tools", input="git status", tools=[SHELL, READ]
    ) as stream:
        deltas = [e.delta for e in stream if e.type == "response.function_call_arguments.delta"]
        final = stream.get_final_response()
    calls = [item for item in final.output if item.type == "function_call"]
    assert [c.name for c in calls] == ["Bash", "Read"]
    assert json.loads(calls[0].arguments) == {"command": "git status"}
    assert "".join(deltas).startswith(calls[0].arguments)
    assert final.status == "completed" and final.usage is not None

    follow_up = client.responses.create(
        model="anthropic/tools",
        input=[
            {"role": "user", "content": "git status"},
            *[{"type": "function_call", "call_id": c.call_id, "name": c.name,
               "arguments": c.arguments} for c in calls],
            *[{"type": "function_call_output", "call_id": c.call_id, "output": f"result {n}"}
              for n, c in enumerate(calls)],
        ],
        tools=[SHELL, READ],
    )  # fmt: skip
    assert follow_up.status == "completed" and follow_up.output_text
    assert not [item for item in follow_up.output if item.type == "function_call"]


def test_responses_stream_blocked_call_from_anthropic_upstream(
    cross_gateway: Server,  # noqa: F811
    e2e_key: str,
    guard: None,  # noqa: F811
) -> None:
    with oai(cross_gateway, e2e_key).responses.stream(
        model="anthropic/text-tool", input="rm -rf ~", tools=[SHELL], extra_headers=BLOCK
    ) as stream:
        final = stream.get_final_response()
    assert [item.type for item in final.output] == ["message"] * len(final.output)
    assert "Luthien blocked a tool call" in final.output_text and "rm -rf ~" in final.output_text
    assert final.status == "completed"


def test_responses_sdk_sees_anthropic_errors_in_its_own_shape(
    cross_gateway: Server,  # noqa: F811
    e2e_key: str,
) -> None:
    with pytest.raises(openai.RateLimitError) as caught:
        oai(cross_gateway, e2e_key).responses.create(model="anthropic/error?status=429", input="x")
    assert caught.value.status_code == 429
    assert isinstance(caught.value.body, dict) and caught.value.body["type"] == "rate_limit_error"


def test_responses_sdk_untranslatable_field_is_a_400(
    cross_gateway: Server,  # noqa: F811
    e2e_key: str,
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        oai(cross_gateway, e2e_key).responses.create(
            model="claude-sonnet-4-5", input="x", previous_response_id="resp_1"
        )
    assert "'previous_response_id' cannot be translated" in str(caught.value)
