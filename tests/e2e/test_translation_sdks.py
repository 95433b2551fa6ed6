"""End to end: each official SDK reaching a model of the other family through a real gateway
process, which translates; the upstreams are a real mock process speaking each format.

The gateway's `anthropic` upstream is the mock's `/v1/messages` and its `openai` upstream the
mock's `/v1/chat/completions`, so `anthropic/<behaviour>` (what `claude-*` routes to) answers in
the Messages format and `openai/<behaviour>` in Chat Completions, whatever the client speaks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from tests.e2e.conftest import database_url_for_tests
from tests.e2e.servers import Server, gateway_env, start_gateway
from tests.e2e.test_gateway_sdks import ant, oai, wait_recorded

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BASH = {
    "type": "function",
    "function": {
        "name": "Bash",
        "description": "Run a shell command",
        "parameters": {"type": "object", "properties": {"command": {"type": "string"}}},
    },
}
READ = {
    "type": "function",
    "function": {"name": "Read", "parameters": {"type": "object", "properties": {}}},
}
BASH_ANTHROPIC = {
    "name": "Bash",
    "description": "Run a shell command",
    "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}},
}
READ_ANTHROPIC = {"name": "Read", "input_schema": {"type": "object", "properties": {}}}
BLOCK = {"x-luthien-policy": "guard"}


@pytest.fixture
def guard(transactional_db: None) -> None:
    """A saved `block-dangerous-commands` policy named `guard` (chosen per call by header)."""
    from policies.services import policy_config_create

    policy_config_create(name="guard", policy_class="block-dangerous-commands", config={})


@pytest.fixture(scope="module")
def cross_gateway(
    django_db_setup: Any, django_db_blocker: Any, mock_server: Server, tmp_path_factory: Any
) -> Iterator[Server]:
    """A gateway whose `openai` and `anthropic` upstreams are the mock process."""
    with django_db_blocker.unblock():
        database_url = database_url_for_tests()
    env = gateway_env(
        database_url,
        mock_server.url,
        LUTHIEN_SPILL_DIR=str(tmp_path_factory.mktemp("spill")),
        ANTHROPIC_BASE_URL=mock_server.url,
        ANTHROPIC_API_KEY="sk-ant-test",
        OPENAI_BASE_URL=mock_server.url + "/v1",
        OPENAI_API_KEY="sk-openai-test",
    )
    server = start_gateway(env)
    yield server
    server.stop()


# --- the openai SDK, an Anthropic-format upstream ----------------------------------------------


def test_openai_sdk_text_from_anthropic_upstream(cross_gateway: Server, e2e_key: str) -> None:
    raw = oai(cross_gateway, e2e_key).chat.completions.with_raw_response.create(
        model="anthropic/echo",
        messages=[
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "hi across"},
        ],
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "You said: hi across"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.prompt_tokens > 0
    row = wait_recorded(raw.headers["x-luthien-transaction-id"])
    assert (row.client_format, row.upstream_format, row.status) == (
        "openai",
        "anthropic",
        "completed",
    )
    sent = row.body.request_final
    assert sent["system"] == "You are terse." and sent["max_tokens"] == 4096


def test_openai_sdk_streamed_parallel_tool_calls_then_results(
    cross_gateway: Server, e2e_key: str
) -> None:
    client = oai(cross_gateway, e2e_key)
    messages: list[Any] = [{"role": "user", "content": "git status"}]
    stream = client.chat.completions.create(
        model="anthropic/tools",
        messages=messages,
        tools=[BASH, READ],
        stream=True,
        stream_options={"include_usage": True},
    )
    calls: dict[int, dict[str, str]] = {}
    finish, usage = None, None
    for chunk in stream:
        usage = chunk.usage or usage
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or []:
                entry = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                entry["id"] += call.id or ""
                entry["name"] += call.function.name or "" if call.function else ""
                entry["arguments"] += call.function.arguments or "" if call.function else ""
            finish = choice.finish_reason or finish
    assert [calls[i]["name"] for i in sorted(calls)] == ["Bash", "Read"]
    assert json.loads(calls[0]["arguments"]) == {"command": "git status"}
    assert finish == "tool_calls" and usage is not None and usage.completion_tokens > 0

    messages.append(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": c["id"],
                    "type": "function",
                    "function": {"name": c["name"], "arguments": c["arguments"]},
                }
                for c in (calls[i] for i in sorted(calls))
            ],
        }
    )
    messages += [
        {"role": "tool", "tool_call_id": calls[i]["id"], "content": f"result {i}"}
        for i in sorted(calls)
    ]
    follow_up = client.chat.completions.create(
        model="anthropic/tools", messages=messages, tools=[BASH, READ]
    )
    assert follow_up.choices[0].finish_reason == "stop"
    assert follow_up.choices[0].message.content


def test_openai_sdk_blocked_call_from_anthropic_upstream(
    cross_gateway: Server, e2e_key: str, guard: None
) -> None:
    completion = oai(cross_gateway, e2e_key).chat.completions.create(
        model="anthropic/text-tool",
        messages=[{"role": "user", "content": "rm -rf ~"}],
        tools=[BASH],
        extra_headers=BLOCK,
    )
    message = completion.choices[0].message
    assert not message.tool_calls and completion.choices[0].finish_reason == "stop"
    assert "Luthien blocked a tool call" in (message.content or "")
    assert "rm -rf ~" in (message.content or "")


def test_openai_sdk_sees_anthropic_errors_in_its_own_shape(
    cross_gateway: Server, e2e_key: str
) -> None:
    with pytest.raises(openai.RateLimitError) as caught:
        oai(cross_gateway, e2e_key).chat.completions.create(
            model="anthropic/error?status=429", messages=[{"role": "user", "content": "x"}]
        )
    assert caught.value.status_code == 429
    assert isinstance(caught.value.body, dict) and caught.value.body["type"] == "rate_limit_error"


def test_openai_sdk_untranslatable_field_is_a_400(cross_gateway: Server, e2e_key: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        oai(cross_gateway, e2e_key).chat.completions.create(
            model="claude-sonnet-4-5",
            messages=[{"role": "user", "content": "x"}],
            logprobs=True,
        )
    assert "'logprobs' cannot be translated" in str(caught.value)


# --- the anthropic SDK, an OpenAI-format upstream ----------------------------------------------


def test_anthropic_sdk_text_from_openai_upstream(cross_gateway: Server, e2e_key: str) -> None:
    raw = ant(cross_gateway, e2e_key).messages.with_raw_response.create(
        model="openai/echo",
        max_tokens=64,
        system="You are terse.",
        messages=[{"role": "user", "content": "hello across"}],
    )
    message = raw.parse()
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == "You said: hello across"  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn" and message.usage.output_tokens > 0
    row = wait_recorded(raw.headers["x-luthien-transaction-id"])
    assert (row.client_format, row.upstream_format) == ("anthropic", "openai")
    assert row.body.request_final["messages"][0] == {"role": "system", "content": "You are terse."}


def test_anthropic_sdk_streamed_parallel_tool_calls_then_results(
    cross_gateway: Server, e2e_key: str
) -> None:
    client = ant(cross_gateway, e2e_key)
    messages: list[Any] = [{"role": "user", "content": "ls -la"}]
    with client.messages.stream(
        model="openai/tools",
        max_tokens=256,
        messages=messages,
        tools=[BASH_ANTHROPIC, READ_ANTHROPIC],  # type: ignore[list-item]
    ) as stream:
        final = stream.get_final_message()
    calls = [b for b in final.content if b.type == "tool_use"]
    assert [c.name for c in calls] == ["Bash", "Read"]
    assert calls[0].input == {"command": "ls -la"}
    assert final.stop_reason == "tool_use" and final.usage.output_tokens > 0

    messages.append({"role": "assistant", "content": [c.model_dump() for c in final.content]})
    messages.append(
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": c.id, "content": f"result {c.name}"}
                for c in calls
            ],
        }
    )
    follow_up = client.messages.create(
        model="openai/tools",
        max_tokens=256,
        messages=messages,
        tools=[BASH_ANTHROPIC, READ_ANTHROPIC],  # type: ignore[list-item]
    )
    assert follow_up.stop_reason == "end_turn"
    assert follow_up.content and follow_up.content[0].type == "text"


def test_anthropic_sdk_blocked_call_from_openai_upstream_streamed(
    cross_gateway: Server, e2e_key: str, guard: None
) -> None:
    with ant(cross_gateway, e2e_key).messages.stream(
        model="openai/text-tool",
        max_tokens=256,
        messages=[{"role": "user", "content": "rm -rf ~"}],
        tools=[BASH_ANTHROPIC],  # type: ignore[list-item]
        extra_headers=BLOCK,
    ) as stream:
        final = stream.get_final_message()
    assert [b.type for b in final.content] == ["text"] or all(
        b.type == "text" for b in final.content
    )
    text = "".join(b.text for b in final.content if b.type == "text")
    assert "Luthien blocked a tool call" in text and "rm -rf ~" in text
    assert final.stop_reason == "end_turn"


def test_anthropic_sdk_sees_openai_errors_in_its_own_shape(
    cross_gateway: Server, e2e_key: str
) -> None:
    with pytest.raises(anthropic.InternalServerError) as caught:
        ant(cross_gateway, e2e_key).messages.create(
            model="openai/error?status=500",
            max_tokens=5,
            messages=[{"role": "user", "content": "x"}],
        )
    assert caught.value.status_code == 500
    assert isinstance(caught.value.body, dict) and caught.value.body["error"]["type"] == "api_error"
